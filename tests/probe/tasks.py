import dramatiq
from django.db import connection

from tests.probe.models import ProbeRecord


@dramatiq.actor(queue_name="probe", max_retries=0)
def probe_record(token: str) -> None:
    ProbeRecord.objects.create(token=token, schema_seen=connection.schema_name)
