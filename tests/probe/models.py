from django.db import models


class ProbeRecord(models.Model):
    """A row an actor writes, to show which schema it ran in."""

    token = models.CharField(max_length=64)
    schema_seen = models.CharField(max_length=63)

    def __str__(self) -> str:
        return f"{self.token} in {self.schema_seen}"
