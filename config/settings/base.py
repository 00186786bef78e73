"""Settings shared by every environment, read once through django-environ.

Every variable is documented in ``.env.example``. Environment files (local, test, production)
only adjust what differs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from dramatiq import middleware as dramatiq_middleware

from config.brokers import broker_class_for

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is a convenience for local runs; real deployments set the environment.
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me")
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]

# Fernet keys for credentials at rest, newest first (MultiFernet rotation).
CREDENTIALS_ENCRYPTION_KEYS = env.list("CREDENTIALS_ENCRYPTION_KEYS", default=[])

# --- Applications -------------------------------------------------------------------------------
# django-tenants: SHARED_APPS live in the public schema, TENANT_APPS in every tenant schema.
# auth/sessions/contenttypes are in both so staff users live in public and tenant users in
# their tenant's schema.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "billing",
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Only for its abstract key model and hashing (accounts.ApiKey, in tenant schemas); its
    # own concrete APIKey table in the public schema stays unused.
    "rest_framework_api_key",
    "import_export",
    "django_dramatiq",
    "django_filters",
    "drf_spectacular",
    # The docs pages' JavaScript and CSS, served by us: the API docs work with no CDN.
    "drf_spectacular_sidecar",
    "django_htmx",
    # Content-Security-Policy header (csp.middleware) and its system checks.
    "csp",
    # Login lockout. In both lists: staff sign-ins are counted in the public schema, a
    # tenant's in its own schema, so one tenant's failures never lock out another's users.
    "axes",
]
TENANT_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts",
    "integrations",
    "axes",
]
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS))

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # Answers /healthz and /readyz before tenant resolution, so probes by IP address work.
    "config.health.HealthCheckMiddleware",
    # Above tenant resolution and the webhook fast path, so every request is counted.
    "config.metrics.RequestMetricsMiddleware",
    "tenants.middleware.CachedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Answers webhook deliveries here: they need nothing of the browser middleware below.
    "integrations.middleware.WebhookFastPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: views answer htmx requests with a fragment instead of the whole page.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.tenant_admin.TenantDataAdminMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into our lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/clarity")}
# django-tenants' backend, listing one schema's tables at a time (see config/db/base.py).
DATABASES["default"]["ENGINE"] = "config.db"
# A Unix-socket directory arrives percent-encoded in the URL host (the embedded PostgreSQL).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Issue `SET search_path` once per connection and schema switch, not before every cursor:
# django-tenants clears it on set_tenant/set_schema, rollback and close. Halves the statements
# of the webhook ingest and the sync pipeline (measured in bench/, see docs/benchmarks.md).
TENANT_LIMIT_SET_CALLS = True
# New tenants' schemas are copies of this template schema (tenants.services.tenant_schema_create),
# not a run of every migration; docs/scale.md says how it is kept current.
TENANT_BASE_SCHEMA = env.str("TENANT_TEMPLATE_SCHEMA", default="tenant_template")
# `migrate_schemas --executor=multiprocessing`: schemas migrated at once, and how many each
# process takes per hand-out (docs/scale.md has the timings).
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATE_PROCESSES", default=2)
TENANT_MULTIPROCESSING_CHUNKS = env.int("MIGRATE_CHUNK", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Dramatiq -----------------------------------------------------------------------------------
BROKER_URL = env.str("BROKER_URL", default="redis://127.0.0.1:6379/0")
# Redis for shared state between processes (request budgets per external account, locks).
# Defaults to the broker when the broker is Redis.
REDIS_URL = env.str(
    "REDIS_URL",
    default=BROKER_URL if broker_class_for(BROKER_URL).endswith("RedisBroker")
    else "redis://127.0.0.1:6379/0",
)
# The Django cache is Redis so that every web process sees the same API request counts; keys
# are prefixed with the tenant's schema.
# An uploaded import waits between its preview and "Confirm import" in the shared Redis cache,
# not a web host's /tmp: the confirm may reach another web process or host.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    },
}
DRAMATIQ_BROKER = {
    "BROKER": broker_class_for(BROKER_URL),
    "OPTIONS": {"url": BROKER_URL},
    # Explicit, so no default middleware imports a module we do not install. Retries back off
    # exponentially with jitter from 1 s to 5 min; a message may run at most TIME_LIMIT.
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        dramatiq_middleware.TimeLimit(time_limit=env.int("DRAMATIQ_TIME_LIMIT_MS",
                                                         default=600_000)),
        "dramatiq.middleware.ShutdownNotifications",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Pipelines",
        dramatiq_middleware.Retries(max_retries=env.int("DRAMATIQ_MAX_RETRIES", default=10),
                                    min_backoff=1_000, max_backoff=300_000),
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        "config.dramatiq.TenantMiddleware",
    ],
}
DRAMATIQ_TASKS_DATABASE = "default"
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# --- Auth, i18n, static -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The lockout check comes first so a locked-out client is refused before any password is
# checked (accounts/lockout.py: the lockout page, how the client is identified).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: this many failed sign-ins of one email from one IP address lock that pair out
# for LOGIN_LOCKOUT_MINUTES (a wrong guess from elsewhere does not lock the real user out).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The key Django's login forms (portal and staff admin) pass to authenticate().
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.client_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Reverse proxies in front of the web processes that append to X-Forwarded-For; 0: the
# client is REMOTE_ADDR. Set it to the real count or clients can pose as any address.
LOGIN_TRUSTED_PROXY_COUNT = env.int("LOGIN_TRUSTED_PROXY_COUNT", default=0)
# Sign-ups (each creates a schema) one client address may make, as django-ratelimit's rate.
SIGNUP_RATE = env.str("SIGNUP_RATE", default="5/h")
# Days an emailed invitation to join a tenant's team stays valid.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)

# --- Security headers ---------------------------------------------------------------------------
# django-csp 4. Scripts only from our own static files (no inline scripts or handlers: pages
# pass data with json_script); inline styles are allowed, the templates use them. Views that
# need more say so with a csp decorator next to them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Templates put the token in the page (hx-headers); no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Our own static files, vendored libraries included (htmx, Chart.js): the portal uses no CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clarity Connect <no-reply@localhost>")

# Requests per API key (or portal user) on /api/v1/: "<n>/<s|min|hour|day>".
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/min")
REST_FRAMEWORK = {
    # API keys for machines (accounts.api_auth), the session for the portal's own pages.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "accounts.api_auth.ApiKeyScope"],
    # One budget per API key or portal user, counted in the shared cache (Redis).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.ApiClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": API_THROTTLE_RATE},
    # One JSON error shape for every 4xx and 5xx (integrations.api.errors).
    "EXCEPTION_HANDLER": "integrations.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "integrations.api.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend",
                                "rest_framework.filters.OrderingFilter"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clarity Connect API",
    "DESCRIPTION": (
        "Status, transaction logs, dead letters and manual actions of one Clarity Connect "
        "account, on the account's own domain. Authenticate with an API key "
        "(`Authorization: Bearer <key>`); read keys may only read. Errors are always "
        '`{"error": {"code", "message", "details"}}`; lists are cursor-paginated '
        "(`next`/`previous` links, `page_size` up to 200)."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "integrations.api.schema.webhook_paths_append"],
    "ENUM_NAME_OVERRIDES": {
        "SystemEnum": "integrations.models.Connection.System",
        "PairStatusEnum": "integrations.models.IntegrationPair.Status",
        "TransactionStatusEnum": "integrations.models.Transaction.Status",
        "DeadLetterResolutionEnum": "integrations.models.DeadLetter.Resolution",
    },
}

# --- External systems -----------------------------------------------------------------------
# Where the local emulators of the six systems listen (`make run` starts them).
SANDBOX_URL = env.str("SANDBOX_URL", default="http://127.0.0.1:8100").rstrip("/")
# Clarity's own OAuth apps (client id/secret per system). The defaults are the sandboxes' demo
# apps; production sets the real ones from the vendors' developer portals.
OAUTH_APPS = {
    "brightpearl": {
        "client_id": env.str("BRIGHTPEARL_CLIENT_ID", default="clarity-connect"),
        "client_secret": env.str("BRIGHTPEARL_CLIENT_SECRET", default="demo-client-secret"),
        "dev_ref": env.str("BRIGHTPEARL_DEV_REF", default="clarity"),
    },
    "bigcommerce": {
        "client_id": env.str("BIGCOMMERCE_CLIENT_ID", default="bc-demo-client-id"),
        "client_secret": env.str("BIGCOMMERCE_CLIENT_SECRET", default="bc-demo-client-secret"),
    },
    "salesforce": {
        "client_id": env.str("SALESFORCE_CLIENT_ID", default="sf-demo-consumer-key"),
        "client_secret": env.str("SALESFORCE_CLIENT_SECRET", default="sf-demo-consumer-secret"),
    },
}
# How external systems reach a tenant's webhooks: {slug} and {base} are filled in.
TENANT_URL_TEMPLATE = env.str("TENANT_URL_TEMPLATE", default="http://{slug}.{base}:8000")
# OAuth callbacks land on the public domain (one redirect URI to register with each vendor).
OAUTH_CALLBACK_PATH = "/oauth/callback/"

# How long a worker holds an event before another may take it over (it died): longer than any
# one pipeline run, whose every external call has a timeout.
EVENT_LEASE_SECONDS = env.int("EVENT_LEASE_SECONDS", default=600)
# How often stuck or due events are swept back onto the queue.
EVENT_SWEEP_SECONDS = env.int("EVENT_SWEEP_SECONDS", default=60)
# Stored events wait at most this long to be enqueued, so that a burst of deliveries becomes a
# few broker messages (integrations.services.outbox); 0 enqueues each delivery's at once.
EVENTS_ENQUEUE_WINDOW_MS = env.int("EVENTS_ENQUEUE_WINDOW_MS", default=20)
# Fair dispatch (integrations.services.dispatch): a tenant has at most its plan's
# sync_concurrency messages in the broker or being worked; the rest wait in its own backlog, so
# one tenant's flood never queues ahead of another's new event. Off: every message goes straight
# to the broker, first come first served.
SYNC_FAIR_DISPATCH = env.bool("SYNC_FAIR_DISPATCH", default=True)
# How long a slot outlives a worker that was killed holding it (then it is free again).
SYNC_SLOT_LEASE_S = env.float("SYNC_SLOT_LEASE_S", default=60.0)
# Slots of a tenant without a subscription.
SYNC_CONCURRENCY_DEFAULT = env.int("SYNC_CONCURRENCY_DEFAULT", default=4)
# Webhook deliveries accepted per connection and minute, so one flooding sender cannot starve
# the other tenants' ingest; past it, 429 and nothing stored. 0: no limit (no Redis call).
WEBHOOK_RATE_PER_MIN = env.int("WEBHOOK_RATE_PER_MIN", default=60_000)

# --- Operator metrics (config/metrics.py) -------------------------------------------------------
# Bearer token for GET /metrics on the public domain; empty: /metrics is refused (403).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Where each web process writes its request counts for a scrape to sum (prometheus_client's
# multiprocess mode). config.wsgi exports it to the environment and clears it at server start.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR",
                                   default=str(BASE_DIR / "var" / "prometheus"))

# --- Scheduler ----------------------------------------------------------------------------------
SCHEDULER_TICK_SECONDS = env.float("SCHEDULER_TICK_SECONDS", default=2.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
