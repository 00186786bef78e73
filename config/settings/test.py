"""The test suite: ``make test``."""

import os

from .base import *  # noqa: F403
from .base import SHARED_APPS, TENANT_APPS

# A tenant-scoped probe app lets the worker test prove which schema an actor ran in.
TENANT_APPS = [*TENANT_APPS, "tests.probe"]
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS))

# In-process tests see a delivery's message at once; the end-to-end harness sets a window so
# its web server coalesces as production does.
EVENTS_ENQUEUE_WINDOW_MS = int(os.environ.get("EVENTS_ENQUEUE_WINDOW_MS", "0"))
# In-process tests send messages they never work; their slots would outlive the test and starve
# the next one of the same tenant. The fairness tests turn it on and clear their keys.
SYNC_FAIR_DISPATCH = os.environ.get("SYNC_FAIR_DISPATCH", "false").lower() == "true"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django-axes as in production, except that the test client's login() (no request) is let
# through to the password check: see tests/accounts/lockout_backend.py.
AUTHENTICATION_BACKENDS = [
    "tests.accounts.lockout_backend.TestClientLoginAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps' folders; the suite never runs collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# oauthlib refuses plain-http OAuth endpoints; the local sandboxes speak http. Production
# settings never set this, so real OAuth stays https-only.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# Every test signs up from 127.0.0.1; the sign-up limit has its own test with a low rate.
SIGNUP_RATE = os.environ.get("SIGNUP_RATE", "10000/m")
