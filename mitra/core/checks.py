"""System checks that refuse unsafe combinations in a declared production deployment.

They run with `mitra check` (and at every start of `mitra serve`) when MITRA_PRODUCTION=true and
DEBUG is off. They are warnings: an operator may knowingly accept one, but never unknowingly.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

from mitra.lib import conf

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Caches of one process: each worker would keep its own used TOTP codes and sign-in limits.
PER_PROCESS_CACHES = ("locmem.LocMemCache", "dummy.DummyCache")


@register(Tags.security, Tags.database, deploy=False)
def production_settings(app_configs=None, **kwargs) -> list[Warning]:
    if not conf.production():
        return []
    found: list[Warning] = []
    if settings.DEBUG:
        found.append(Warning(
            "DEBUG is on in production: error pages would show settings and patient data.",
            hint="Unset DEBUG (or set DEBUG=false).", id="mitra.W001",
        ))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        found.append(Warning(
            "DATABASE_URL points at SQLite in production: one machine, one writer at a time, "
            "and no database roles: whoever can write the file can drop the audit trail's "
            "triggers (its hash chain still shows what they change).",
            hint="Set DATABASE_URL=postgres://user@host:5432/mitra.", id="mitra.W002",
        ))
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        found.append(Warning(
            "Session and CSRF cookies are sent over plain HTTP in production.",
            hint="Serve over HTTPS and set SECURE_COOKIES=true.", id="mitra.W003",
        ))
    if set(settings.ALLOWED_HOSTS) <= LOCAL_HOSTS:
        found.append(Warning(
            "ALLOWED_HOSTS names only this machine in production.",
            hint="Set ALLOWED_HOSTS to the site's host name(s), comma-separated.",
            id="mitra.W004",
        ))
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        found.append(Warning(
            "E-mail is not sent in production (password-reset mails go to the console).",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST.",
            id="mitra.W005",
        ))
    if settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        found.append(Warning(
            "SECURE_SSL_REDIRECT is on but no trusted proxy is configured: behind the TLS proxy "
            "every request looks like plain HTTP and is redirected again, for ever.",
            hint="Set MITRA_TRUSTED_PROXIES to the reverse proxy's address(es); it must set "
                 "X-Forwarded-For and X-Forwarded-Proto.",
            id="mitra.W006",
        ))
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(PER_PROCESS_CACHES):
        found.append(Warning(
            f"The cache ({backend}) is not shared between worker processes: a TOTP code could "
            "sign in once on each worker, and sign-in limits would count per worker.",
            hint="Unset CACHES overrides (the database cache is the default) or set REDIS_URL.",
            id="mitra.W007",
        ))
    if not conf.base_url():
        found.append(Warning(
            "MITRA_BASE_URL is not set in production: alert escalation and invitation e-mails "
            "would carry links without the site's address, which no mail client can open.",
            hint="Set MITRA_BASE_URL to the site's public address, e.g. "
                 "MITRA_BASE_URL=https://mitra.example.org.",
            id="mitra.W008",
        ))
    elif not conf.base_url().startswith("https://"):
        found.append(Warning(
            f"MITRA_BASE_URL ({conf.base_url()}) is not an https:// address in production: "
            "links in e-mails would send clinicians to the site over plain HTTP.",
            hint="Set MITRA_BASE_URL=https://<the site's host>.", id="mitra.W009",
        ))
    return found
