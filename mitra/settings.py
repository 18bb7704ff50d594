"""Django settings for Mitra, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mitra.lib.env import env_bool, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MITRA_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key(VAR_DIR)
# Seals the audit trail's hash chain (mitra/audit/chain.py). Kept outside the database, like
# SECRET_KEY: whoever can change the database alone cannot forge a seal.
MITRA_AUDIT_KEY = secret_key(VAR_DIR, "MITRA_AUDIT_KEY", "audit_key")
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
    # django-ninja in INSTALLED_APPS: its docs page uses the bundled Swagger UI, not a CDN.
    "ninja",
    "mitra.api",
]

MIDDLEWARE = [
    "mitra.lib.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mitra.sqlite3'}")
    try:
        db = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
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
    elif env_bool("DB_PREPARED_STATEMENTS", True):
        # Server-side binding lets psycopg prepare a statement run five times on a connection,
        # so PostgreSQL stops planning the same queries for every request. Turn it off behind
        # a pooler that does not keep prepared statements (PgBouncer in transaction mode).
        db["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
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
# Per address here; per account django-axes locks after MITRA_LOGIN_FAILURE_LIMIT failures (in the
# database, so every worker sees it). The per-key limit is a looser second line behind axes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,20/15m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

# django-axes: lock an account after repeated failures, whichever view they arrive through.
AXES_FAILURE_LIMIT = env_int("MITRA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MITRA_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Per-address limits come from django-allauth's ACCOUNT_RATE_LIMITS above: locking by address
# in axes would lock out a whole clinic behind one NAT after five typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "mitra.accounts.throttling.login_name"
AXES_RESET_ON_SUCCESS = True
# Keep each failed sign-in (time, address, account) for the care-team admin to review.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Staff sessions: end after 15 minutes idle and 12 hours in all (patients keep Django's default).
MITRA_STAFF_IDLE_SECONDS = env_int("MITRA_STAFF_IDLE_MINUTES", 15) * 60
MITRA_STAFF_MAX_SECONDS = env_int("MITRA_STAFF_MAX_HOURS", 12) * 3600
SESSION_ENGINE = "mitra.accounts.sessions"  # Django's database sessions, read faster
SESSION_COOKIE_AGE = 14 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

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
# Crisis resources for a patient whose jurisdiction has no locale of its own.
MITRA_CRISIS_LOCALE = env_str("MITRA_CRISIS_LOCALE", "en-US")
# The public address, for links in e-mails (for example https://mitra.example.org).
MITRA_BASE_URL = env_str("MITRA_BASE_URL", "")
# An invitation link (a new account's owner sets their password with it) works this long, once.
MITRA_INVITATION_DAYS = env_int("MITRA_INVITATION_DAYS", 7)

TASKS = {"default": {"BACKEND": env_str("MITRA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

LANGUAGE_CODE = "en-us"
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
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mitra@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
