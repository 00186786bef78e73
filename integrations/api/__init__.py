"""The public REST API under ``/api/v1/`` on each tenant's domain (DRF)."""
