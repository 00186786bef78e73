"""Local development: ``make run``."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Static files straight from the apps in development; collectstatic is for production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# oauthlib refuses plain-http OAuth endpoints; the local sandboxes speak http. Production
# settings never set this, so real OAuth stays https-only.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
