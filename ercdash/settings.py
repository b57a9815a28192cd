"""ercdash settings: one file, configured by environment variables (docs/configuration.md)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from orders.rules.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("ERCDASH_ALLOW_INSECURE_KEY", False):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'`), or DEBUG=1 for local development."
        )
    # Development and tests only: never used with DEBUG off unless explicitly allowed.
    SECRET_KEY = "insecure-development-key-" + "x" * 40  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "orders",
]

MIDDLEWARE = [
    # Outermost: it attaches the audit writes to the response the server will close.
    "orders.console.middleware.DeferredAuditMiddleware",
    "ercdash.logs.RequestIdMiddleware",
    # Warns once if a proxy forwards requests that ERCDASH_PROXY_COUNT does not count.
    "ercdash.proxies.ProxyCountWarningMiddleware",
    # Before Host validation and the TLS redirect: load balancers probe by IP over plain HTTP.
    "ercdash.health.HealthProbeMiddleware",
    # The API's order read, answered here with the headers of the middleware below.
    "orders.api.order_read.OrderReadMiddleware",
    "orders.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ercdash.browser_middleware: the usual middleware, skipped by the stateless token API.
    "ercdash.browser_middleware.SessionMiddleware",
    # The order page's timeline refresh when nothing changed (204), answered before the rest.
    "orders.console.middleware.UnchangedTimelineMiddleware",
    "ercdash.browser_middleware.LocaleMiddleware",
    "ercdash.browser_middleware.AgentTimeZoneMiddleware",
    "ercdash.browser_middleware.AgentFormatsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # cheap for csrf_exempt API views
    "ercdash.browser_middleware.AuthenticationMiddleware",
    "ercdash.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ercdash.browser_middleware.HtmxMiddleware",
    "ercdash.browser_middleware.CSPMiddleware",
    "ercdash.browser_middleware.ConsoleFrameMiddleware",
    # Last, as django-axes requires: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "orders.console.backends.ModelBackend",
]

ROOT_URLCONF = "ercdash.urls"
WSGI_APPLICATION = "ercdash.wsgi.application"

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

# Database: SQLite by default so a fresh machine runs everything; PostgreSQL in production.
# dj-database-url opens a connection per request unless told otherwise.
_CONNECTION = {
    "conn_max_age": env_int("DATABASE_CONN_MAX_AGE", 60),
    "conn_health_checks": env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
}
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), **_CONNECTION
    )
}
# Optional read replica: order reads of GET requests go there (ercdash.routers).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, **_CONNECTION),
        # Tests read the primary through this alias instead of creating a second database.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["ercdash.routers.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("ercdash.health.HealthProbeMiddleware") + 1,
        "ercdash.routers.ReplicaReadsMiddleware",
    )
# SQLite, the embedded default, serves one writer beside many readers. WAL: reads never wait
# for a writer and see the last commit. IMMEDIATE: a write transaction takes the write lock
# when it begins, so it cannot fail halfway on a lock upgrade. synchronous=FULL: a commit is
# on disk before it returns (SQLite's default, stated). The busy timeout is how long a write
# transaction waits for the lock; ercdash.sqlite lets waiting writers take turns fairly, and
# the services retry a write that still did not get it (orders/services/transactions.py).
DATABASE_BUSY_TIMEOUT = float(os.environ.get("DATABASE_BUSY_TIMEOUT", "") or 5)
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["ENGINE"] = "ercdash.sqlite"
        _database.setdefault("OPTIONS", {}).update(
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
            transaction_mode="IMMEDIATE",
            timeout=DATABASE_BUSY_TIMEOUT,
        )
        # Tests: in memory, as Django does for its own SQLite engine (pytest-django would
        # otherwise derive a file name from NAME for a backend it does not recognise).
        _database.setdefault("TEST", {}).setdefault("NAME", ":memory:")
# Prepared statements: psycopg prepares a statement a connection has run 5 times, so the API's
# per-request token and order query is parsed and planned once per connection instead of on
# every call (~120 µs instead of ~420 µs on PostgreSQL). Django turns them off by default to
# suit transaction-mode poolers; set DATABASE_PREPARED_STATEMENTS=0 behind such a pooler
# (PgBouncer before 1.21). They need server-side parameter binding.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_PREPARED_STATEMENTS", True
    ):
        _database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -------------------------------------------------------------------
# Redis is shared by all app servers (rate-limit counters, sessions). Without it each process
# keeps its own local-memory cache, which is right for one process and for tests.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()


def redis_cache(url: str) -> dict:
    """django-redis settings that degrade on an outage instead of failing requests."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "ercdash",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Swallow connection errors (a miss, a skipped write) and give up quickly, so an
            # outage means no shared rate limits and sessions from the database, not errors.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.25")),
            "SOCKET_TIMEOUT": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.25")),
        },
    }


# Swallowed Redis errors are still logged, so an outage shows up in the logs.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "ercdash.cache"
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    # Sessions read from Redis, written through to the database: they survive a Redis outage.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ercdash",
        }
    }
    # Django's database sessions, read by a hand-written query (ercdash/sessions.py says why).
    SESSION_ENGINE = "ercdash.sessions"

# Django's defaults first, so people's passwords keep the slow default hasher; the last one
# is for OAuth client secrets only (CLIENT_SECRET_HASHER below, orders/hashers.py says why).
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "orders.api.hashers.ClientSecretHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt", "Português")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The API speaks UTC; agents see their own zone in the console.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need `collectstatic`; development and tests skip it.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("ERCDASH_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (development, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not env_bool("ERCDASH_STATIC_MANIFEST", not DEBUG)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agent/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Security -----------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("ERCDASH_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("ERCDASH_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Sending `preload` is harmless until the domain owner submits it to hstspreload.org.
SECURE_HSTS_PRELOAD = env_bool("ERCDASH_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("ERCDASH_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Login throttling (django-axes): admin login and agent login alike ----------------------
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# No start-up banner on every manage.py command; lockouts are still logged.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# Minutes (fractions allowed); a lockout ends by itself, so a mistyped password never needs
# an admin to unlock it.
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_TIME", "") or 15))
# Username and IP together: one attacker cannot lock every agent out from one address, and
# a shared office IP does not lock out the colleagues of the user who mistyped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ...and, against password spraying (one password tried on many usernames), an address with
# this many failed sign-ins within the cool-off, whatever the usernames, is blocked too
# (orders.console.lockout.SignInAttempts). High enough for an office behind one address.
ERCDASH_SIGNIN_ADDRESS_LIMIT = env_int("ERCDASH_SIGNIN_ADDRESS_LIMIT", 30)
AXES_HANDLER = "orders.console.lockout.SignInAttempts"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# Masked in axes' logs and stored attempts (passwords always are).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
AXES_LOCKOUT_CALLABLE = "orders.console.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "ercdash.proxies.client_ip"
# Number of reverse proxies (load balancers) in front of the app that append to
# X-Forwarded-For; 0 = use the socket address (and warn once if requests carry the header).
# Spoofed left-hand entries are ignored.
ERCDASH_PROXY_COUNT = env_int("ERCDASH_PROXY_COUNT", 0)

# --- Product settings ---------------------------------------------------------------------
ERCDASH_PUBLIC_BASE_URL = os.environ.get("ERCDASH_PUBLIC_BASE_URL", "").rstrip("/")
ERCDASH_FRAME_ANCESTORS = env_list("ERCDASH_FRAME_ANCESTORS")
ERCDASH_TOKEN_TTL = env_int("ERCDASH_TOKEN_TTL", 3600)

SCOPE_READ = "erc-ecommerce-customers:read"
SCOPE_WRITE = "erc-ecommerce-customers:write"

# --- OAuth2 (django-oauth-toolkit) --------------------------------------------------------
# Named explicitly so orders' foreign keys to these models keep makemigrations stable.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "SCOPES": {
        SCOPE_READ: "Read customers and their orders",
        SCOPE_WRITE: "Act on orders (cancel)",
    },
    # Per-client allowed scopes: asking for none grants the client's own set, never everything.
    "SCOPES_BACKEND_CLASS": "orders.api.oauth.ClientScopes",
    # Tells the token endpoints' limiter which client proved its secret (api.throttling).
    "OAUTH2_VALIDATOR_CLASS": "orders.api.oauth.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": ERCDASH_TOKEN_TTL,
    # Generated secrets are far beyond brute force: a cheap hash, not ~0.5 s per token request.
    "CLIENT_SECRET_HASHER": "pbkdf2_sha256_client",
    "REFRESH_TOKEN_EXPIRE_SECONDS": 0,
    "PKCE_REQUIRED": True,
    # RFC 9700: tokens only in the Authorization header, stored as checksums, no legacy grants.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # No refresh tokens or redirect flows are issued (client credentials only); these keep
    # `check --deploy` clean should either ever be enabled.
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Successful requests per client to /oauth/token, /oauth/revoke and /oauth/introspect (each
# endpoint counted on its own), refused before the client secret is checked.
ERCDASH_TOKEN_RATE_LIMIT = os.environ.get("ERCDASH_TOKEN_RATE_LIMIT", "30/min")
parse_rate(ERCDASH_TOKEN_RATE_LIMIT, "ERCDASH_TOKEN_RATE_LIMIT")  # a typo stops start-up
# Failed client authentications on those endpoints, per client id and per address: over it,
# failures are answered 429. A right secret is always checked and answered.
ERCDASH_TOKEN_FAILURE_LIMIT = os.environ.get("ERCDASH_TOKEN_FAILURE_LIMIT", "10/min")
parse_rate(ERCDASH_TOKEN_FAILURE_LIMIT, "ERCDASH_TOKEN_FAILURE_LIMIT")

# --- Django REST framework ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["orders.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["orders.api.auth.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["orders.api.renderers.ErcJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orders.api.renderers.ErcJSONParser"],
    "EXCEPTION_HANDLER": "orders.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    # Per OAuth client (not per IP), counted in the shared cache: orders.api.throttling.
    "DEFAULT_THROTTLE_CLASSES": ["orders.api.throttling.ClientRateThrottle"],
}
# Requests per client: "<n>/<period>" with period s, min, hour or day (e.g. 600/min, 50/10s);
# "off" disables the limit.
ERCDASH_RATE_LIMIT = os.environ.get("ERCDASH_RATE_LIMIT", "600/min")
parse_rate(ERCDASH_RATE_LIMIT)  # a typo stops start-up instead of failing every request

SPECTACULAR_SETTINGS = {
    "TITLE": "ercdash ERC e-commerce API",
    "DESCRIPTION": "Talkdesk Retail Experience Cloud compatible e-commerce customer orders API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # orders/schema/hooks.py: only /erc/ecommerce routes, components, headers and error examples.
    "PREPROCESSING_HOOKS": ["orders.api.schema.keep_api_endpoints"],
    "POSTPROCESSING_HOOKS": ["orders.api.schema.finish_document"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SORT_OPERATIONS": False,
    # `check --deploy` is about deployment settings; schema completeness has its own gate
    # (`manage.py spectacular --validate --fail-on-warn`), not every production boot.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ercdash.logs.RequestIdFilter"},
        # Card numbers and credentials out of every line, whatever the format.
        "redact": {"()": "ercdash.logs.RedactFilter"},
    },
    "formatters": {
        # One JSON object per line for the log pipeline; LOG_FORMAT=plain for humans.
        "json": {"()": "ercdash.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if os.environ.get("LOG_FORMAT") == "plain" else "json",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own request logger would print tracebacks we already log with the request id.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- Background tasks (Django's tasks framework, django-tasks backport) --------------------
# immediate (default): a task runs in the process that enqueued it, right after the commit, so
# `make run` needs no other process. database: tasks wait in the database for
# `manage.py db_worker` (production). Any other value is a backend's dotted path (e.g. a
# queue the deployment already runs), configured without code changes.
ERCDASH_TASKS_BACKEND = os.environ.get("ERCDASH_TASKS_BACKEND", "").strip() or "immediate"
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }.get(ERCDASH_TASKS_BACKEND, ERCDASH_TASKS_BACKEND),
    }
}

# --- Shopify connector (docs/shopify.md) --------------------------------------------------
# Webhook deliveries (their payloads hold personal data) are deleted after this many days by
# `manage.py purge_webhook_deliveries`.
ERCDASH_WEBHOOK_RETENTION_DAYS = env_int("ERCDASH_WEBHOOK_RETENTION_DAYS", 30)

# --- Agent console ------------------------------------------------------------------------
# Phone numbers typed without a country code are read as numbers of this region.
ERCDASH_DEFAULT_PHONE_REGION = os.environ.get("ERCDASH_DEFAULT_PHONE_REGION", "PT")
# Times in the console use the browser's zone (the `tz` cookie), else this one.
ERCDASH_AGENT_TIME_ZONE = os.environ.get("ERCDASH_AGENT_TIME_ZONE", "Europe/Lisbon")
ERCDASH_TIMELINE_REFRESH_SECONDS = env_int("ERCDASH_TIMELINE_REFRESH_SECONDS", 30)

# Strict CSP: no inline scripts or styles, no eval (htmx runs with allowEval false). Console
# pages replace frame-ancestors with ERCDASH_FRAME_ANCESTORS (ConsoleFrameMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Item pictures and card brand icons live on the shops' own hosts.
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
