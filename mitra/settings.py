"""Django settings for Mitra, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mitra.diary.analytics import DEFAULT_ESCALATION_SHARE
from mitra.lib.client_address import parse_trusted_proxies
from mitra.lib.env import (
    audit_key,
    env_bool,
    env_int,
    env_int_between,
    env_list,
    env_share,
    env_str,
    research_key,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MITRA_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key(VAR_DIR)
# Seals the audit trail's hash chain (mitra/audit/chain.py). Kept outside the database, like
# SECRET_KEY: whoever can change the database alone cannot forge a seal.
MITRA_AUDIT_KEY = audit_key(VAR_DIR)
# Keys the research export's pseudonyms and date shifts (mitra/research/deidentify.py); outside
# the database, so that a copy of it cannot link a pseudonym back to a patient.
MITRA_RESEARCH_KEY = research_key(VAR_DIR)
DEBUG = env_bool("DEBUG", False)
# Declares a production deployment: turns on the checks in mitra/core/checks.py.
MITRA_PRODUCTION = env_bool("MITRA_PRODUCTION", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("MITRA_SITE_NAME", "Mitra")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "mitra.core",
    "mitra.accounts",
    "mitra.patients",
    "mitra.audit",
    "mitra.safety",
    "mitra.measures",
    "mitra.diary",
    "mitra.cbt",
    "mitra.evidence",
    "mitra.reports",
    "mitra.reminders",
    "mitra.consent",
    "mitra.enrolment",
    "mitra.records",
    "mitra.research",
    # django-ninja in INSTALLED_APPS: its docs page uses the bundled Swagger UI, not a CDN.
    "ninja",
    "mitra.api",
]

MIDDLEWARE = [
    "mitra.lib.middleware.RequestIDMiddleware",
    # Before SecurityMiddleware: its HTTPS redirect must not believe a forged X-Forwarded-Proto.
    "mitra.lib.headers.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, whose static files answer first and keep their own caching.
    "csp.middleware.CSPMiddleware",
    "mitra.lib.headers.NoStoreMiddleware",
    # /healthz and /readyz, before anything that reads the session or checks the Host header
    # (and after the headers every answer carries).
    "mitra.core.middleware.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Before the session-limit and MFA middleware: they tell the user why they were sent away.
    "django.contrib.messages.middleware.MessageMiddleware",
    "mitra.accounts.middleware.StaffSessionLimitMiddleware",
    "mitra.accounts.middleware.RequireMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks, so it sees the lockout raised by its backend.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mitra.urls"
WSGI_APPLICATION = "mitra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mitra" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mitra.core.context_processors.navigation",
            ],
            # |day and |words on every template (mitra/lib/display.py).
            "builtins": ["mitra.lib.display"],
        },
    },
]


def _database() -> dj_database_url.DBConfig:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mitra.sqlite3'}")
    try:
        # Health checks: a kept connection that the database dropped (a restart, a failover)
        # is replaced before the request's first query instead of failing it.
        db = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
                                   conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if db["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        scheme = url.split(":", 1)[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL: {scheme} is not supported; allowed: postgres://USER@HOST:PORT/NAME "
            "(production) or sqlite:///PATH (development and tests)")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if db["NAME"] != ":memory:":
            try:
                Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ImproperlyConfigured(
                    f"DATABASE_URL: cannot create the folder for {db['NAME']}: {exc.strerror}"
                ) from None
        db["CONN_MAX_AGE"] = 0
        # Writers wait for each other instead of failing with "database is locked".
        db["OPTIONS"] = {
            "init_command": "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;",
            "transaction_mode": "IMMEDIATE",
        }
    else:
        options = db.setdefault("OPTIONS", {})
        # libpq waits for ever by default on a database host that does not answer.
        options.setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
        if env_bool("DB_PREPARED_STATEMENTS", True):
            # Server-side binding lets psycopg prepare a statement run five times on a
            # connection, so PostgreSQL stops planning the same queries for every request.
            # Turn it off behind a pooler that does not keep prepared statements (PgBouncer in
            # transaction mode).
            options.update({"server_side_binding": True, "prepare_threshold": 5})
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's and django-allauth's backends, with a faster per-request user look-up.
    "mitra.accounts.backends.ModelBackend",
    "mitra.accounts.backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: sign-in, password reset, TOTP multi-factor authentication.
ACCOUNT_ADAPTER = "mitra.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# The site's name in the subject of allauth's mails ("[Mitra] Password Reset Email"), never the
# host the request came to ("[127.0.0.1:8000]"); the adapter names the site in their bodies.
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Per account only: django-axes locks an account after MITRA_LOGIN_FAILURE_LIMIT failures (in the
# database), and this per-key limit (allauth's, in the shared cache) is a looser second line. No
# limit counts by address ("10/m/ip" was allauth's default, and "login": "30/m/ip"): behind the
# reverse proxy, or a clinic's NAT, every user shares one address, and a limit by address let
# anyone's wrong passwords refuse everyone's right ones (mitra/accounts/tests/
# test_address_limits.py). The same key limit covers the TOTP step ("mfa-auth-user-<id>").
ACCOUNT_RATE_LIMITS = {"login_failed": "20/15m/key", "login": ""}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# A locked account cannot finish its TOTP step either (mitra/accounts/forms.py).
MFA_FORMS = {"authenticate": "mitra.accounts.forms.AuthenticateForm"}

# django-axes: lock an account after repeated failures, whichever view they arrive through.
AXES_FAILURE_LIMIT = env_int("MITRA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MITRA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# By account only, never by address: locking by address would lock out a whole clinic behind one
# NAT (or every user behind the reverse proxy) after five typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "mitra.accounts.throttling.login_name"
AXES_RESET_ON_SUCCESS = True
# Keep each failed sign-in (time, address, account) for the care-team admin to review.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The address recorded with each failure: X-Forwarded-For only from a trusted proxy (below).
AXES_CLIENT_IP_CALLABLE = "mitra.lib.client_address.client_address"

# Staff sessions: end after 15 minutes idle and 12 hours in all (patients keep Django's default).
MITRA_STAFF_IDLE_SECONDS = env_int("MITRA_STAFF_IDLE_MINUTES", 15) * 60
MITRA_STAFF_MAX_SECONDS = env_int("MITRA_STAFF_MAX_HOURS", 12) * 3600
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 14 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Shared cache, client address, HTTPS, Content-Security-Policy --------------------------------
# One cache for every worker process: allauth keeps its sign-in rate limits and the record of used
# TOTP codes there, and a per-process cache let one code sign in twice on two workers. The
# database's by default (its table made by `mitra migrate`: mitra/core/migrations), Redis when
# REDIS_URL is set.
CACHE_TABLE = "mitra_cache"


def _caches() -> dict:
    url = env_str("REDIS_URL")
    if not url:
        # Expired rows are deleted only once the table passes MAX_ENTRIES; if live ones still
        # pass it, a third of them go too (used-code records first, by key order). So far above
        # what sign-ins fill.
        return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                            "LOCATION": CACHE_TABLE, "OPTIONS": {"MAX_ENTRIES": 1_000_000}}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL: {url.split(':', 1)[0]} is not a Redis URL; allowed: "
            "redis://HOST:PORT/DB, rediss://HOST:PORT/DB (TLS) or unix:///PATH")
    seconds = env_int("REDIS_TIMEOUT_SECONDS", 2)
    return {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
        # A dead Redis fails the sign-in in seconds; it never holds a worker thread.
        "OPTIONS": {"socket_connect_timeout": seconds, "socket_timeout": seconds},
    }}


CACHES = _caches()

# Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or networks,
# comma-separated). Unset, the client address is REMOTE_ADDR and forwarded headers are ignored.
MITRA_TRUSTED_PROXIES = parse_trusted_proxies(env_list("MITRA_TRUSTED_PROXIES", []))
if MITRA_TRUSTED_PROXIES:
    # mitra.lib.headers.TrustedProxyMiddleware drops the header from anyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# A monitor asking the app server itself over plain HTTP still gets its answer (no patient data).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the domain and its subdomains to HTTPS in browsers for months, beyond this
# app's reach: the operator's decision, so Django's reminder (security.W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS.append("security.W021")

# Every asset is served from this site and no page has an inline <script> or style= (the
# project rule), so the policy names only 'self', and two inline <style> elements by hash: the
# ones plotly.js adds (checked in headless Chromium, tests/test_browser_csp.py). Plotly fills an
# empty one through the CSSOM (its hover, zoom and modebar rules; CSP does not govern the CSSOM,
# only the element's text), and one holds the map library's fixed CSS. Hashes, not
# 'unsafe-inline': no other inline style runs. A plotly upgrade changes the second hash;
# tests/test_headers.py recomputes it from the installed plotly.min.js.
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style>
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre-gl's CSS, plotly 7.1
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *PLOTLY_STYLE_HASHES],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    },
}
# ------------------------------------------------------------------------------------------------

# CBT: a diary craving rating (0-10) at or above this, within the last few days, shows the patient
# their relapse-prevention plan. No validated cut-off exists for a single-item craving rating
# (instruments-notes.md, craving VAS: "no norms; analyse within-person trends"); 7 is the top
# third of the scale, and showing the plan too often costs little. Set per deployment.
MITRA_CBT_CRAVING_PROMPT_THRESHOLD = env_int("MITRA_CBT_CRAVING_PROMPT_THRESHOLD", 7)
MITRA_CBT_CRAVING_LOOKBACK_DAYS = env_int("MITRA_CBT_CRAVING_LOOKBACK_DAYS", 3)
# Safety: an urgent alert unacknowledged this long is escalated to the care team by e-mail.
MITRA_ALERT_ESCALATION_MINUTES = env_int("MITRA_ALERT_ESCALATION_MINUTES", 30)
# Diary: this many whole days in a row without an entry raise one MISSED_DIARY alert per gap
# (patients who use the diary and were enrolled at least this long ago). A workflow setting.
MITRA_DIARY_MISSED_DAYS = env_int("MITRA_DIARY_MISSED_DAYS", 3)
# Diary, set in a deployment's settings rather than the environment: the escalation flag's share
# above the previous 28 days' mean (25%, the platform's choice documented in diary/analytics.py,
# a plain-Python module, hence importable here), and maxima per use event by unit over
# diary/units.py's DEFAULT_MAX_AMOUNT, e.g. {"g": 60}.
MITRA_DIARY_ESCALATION_SHARE = DEFAULT_ESCALATION_SHARE
MITRA_DIARY_MAX_AMOUNT: dict[str, int | str] = {}
# Reminders: a patient has low adherence when fewer than this share of the prompts sent over the
# last 14 days were answered (0.7 or 70%): diary completion in substance-use samples averages
# about 70% (Jones et al., Addiction 2019; 80% is the usual target). Below the minimum number of
# prompts sent the caseload says "too few reminders yet", never low (mitra/reminders/adherence.py).
MITRA_LOW_ADHERENCE = env_share("MITRA_LOW_ADHERENCE", Decimal("0.70"))
MITRA_LOW_ADHERENCE_MIN_PROMPTS = env_int_between("MITRA_LOW_ADHERENCE_MIN_PROMPTS", 4, 1, 100)
# 42 CFR Part 2 handling (consent before a disclosure, the §2.32 notice, DS4P labels): on
# unless the service is not covered by Part 2 (README, "Consent and disclosure").
MITRA_PART2 = env_bool("MITRA_PART2", True)
# Years a closed account's clinical record is kept (HIPAA keeps documentation 6 years,
# 45 CFR 164.530(j); state medical-record laws often ask longer: set yours).
MITRA_RETENTION_YEARS = env_int_between("MITRA_RETENTION_YEARS", 6, 1, 100)
# Crisis resources for a patient whose jurisdiction has no locale of its own.
MITRA_CRISIS_LOCALE = env_str("MITRA_CRISIS_LOCALE", "en-US")
# The public address, for links in e-mails (for example https://mitra.example.org). Without
# MITRA_PRODUCTION it defaults to the address `make run` and `mitra serve` answer on, so a
# developer's mails carry working links; in production it must be set (mitra.W008).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:8000"
MITRA_BASE_URL = env_str("MITRA_BASE_URL", "" if MITRA_PRODUCTION else DEVELOPMENT_BASE_URL)
# An invitation link (a new account's owner sets their password with it) works this long, once.
MITRA_INVITATION_DAYS = env_int("MITRA_INVITATION_DAYS", 7)

# Reminders: schedules planned and deliveries sent per batch (each one short transaction), and how
# long a claimed delivery may stay "sending" before its sender is taken to be dead (it is then
# marked failed, never sent twice; README, "Configuration").
MITRA_REMINDER_BATCH = env_int("MITRA_REMINDER_BATCH", 1000)
if not 1 <= MITRA_REMINDER_BATCH <= 10_000:
    raise ImproperlyConfigured("MITRA_REMINDER_BATCH must be a whole number from 1 to 10000, not "
                               f"{MITRA_REMINDER_BATCH}")
MITRA_REMINDER_CLAIM_MINUTES = env_int("MITRA_REMINDER_CLAIM_MINUTES", 10)
if not 1 <= MITRA_REMINDER_CLAIM_MINUTES <= 1440:
    raise ImproperlyConfigured("MITRA_REMINDER_CLAIM_MINUTES must be a whole number of minutes "
                               f"from 1 to 1440, not {MITRA_REMINDER_CLAIM_MINUTES}")

TASKS = {"default": {"BACKEND": env_str("MITRA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

LANGUAGE_CODE = "en-us"
# A patient's preferred language, recorded at enrolment. The pages are in English today; the
# list names the languages a clinic is likely to meet (the kratom-growing regions among them).
LANGUAGES = [
    ("en", "English"), ("es", "Spanish"), ("fr", "French"), ("de", "German"),
    ("pt", "Portuguese"), ("th", "Thai"), ("id", "Indonesian"), ("ms", "Malay"),
    ("vi", "Vietnamese"), ("zh-hans", "Chinese (simplified)"), ("ar", "Arabic"),
]
# One date style on every page ("5 Sep 2026", mitra/lib/formats/en/formats.py).
FORMAT_MODULE_PATH = ["mitra.lib.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "mitra.core.staticfinders.PackagedAssetFinder",
]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders too, so a missed collectstatic never breaks a page.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds the SMTP backend waits for each step (connect, each reply): a mail server that
# accepts and never answers costs one mail this long, never a hung job.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if not 0 < EMAIL_TIMEOUT <= 300:  # 0 would make the socket non-blocking, not patient
    raise ImproperlyConfigured(
        f"EMAIL_TIMEOUT must be a whole number of seconds from 1 to 300, not {EMAIL_TIMEOUT}")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mitra@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
