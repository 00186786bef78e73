"""The floor of the web stack for the ingest benchmark: parse the body, insert one row.

A URLconf (``bench.settings_bare`` points ``ROOT_URLCONF`` here) holding the tenant URLs plus
``/bench/bare/``. Only the benchmark's web server loads it; the product's URLs do not.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls_tenants import urlpatterns as tenant_urlpatterns

TABLE = "public.bench_bare"
CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
                "body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())")


@csrf_exempt
@require_POST
def bare_receive(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s::jsonb) RETURNING id",  # noqa: S608
                       [json.dumps(body)])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=202)


urlpatterns = [path("bench/bare/", bare_receive), *tenant_urlpatterns]
