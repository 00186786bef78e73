"""Settings for the ingest benchmark's web server: production, plus one bench-only URL.

The bare view (``bench.bare``) is served by the same gunicorn, middleware and database as the
real webhook endpoint, so the two differ only in what the view does. Never used by the product.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
