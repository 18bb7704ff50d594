"""`MITRA_PRODUCTION=true mitra check --deploy` is clean with the README's production variables,
and says what is missing without them."""

from __future__ import annotations

from mitra.core.checks import production_settings
from tests.clitools import mitra_env, run_mitra

# The production variables the README documents (values for a site at mitra.example.org).
PRODUCTION = {
    "MITRA_PRODUCTION": "true",
    "DATABASE_URL": "postgres://mitra@127.0.0.1:5432/mitra",
    "ALLOWED_HOSTS": "mitra.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://mitra.example.org",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "MITRA_TRUSTED_PROXIES": "127.0.0.1",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.org",
    "MITRA_BASE_URL": "https://mitra.example.org",
}


def _env(tmp_path, **overrides):
    env = mitra_env(tmp_path, **PRODUCTION)
    for name in ("DEBUG", "REDIS_URL", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        env.pop(name, None)
    env.update(overrides)
    return env


def test_the_documented_production_settings_pass_the_deploy_check(tmp_path):
    result = run_mitra("check", "--deploy", "--fail-level", "WARNING", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr and "ERRORS" not in result.stderr, result.stderr


def test_without_https_settings_the_deploy_check_names_them(tmp_path):
    env = _env(tmp_path)
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        env.pop(name)
    result = run_mitra("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # the HTTPS redirect


def test_an_https_redirect_without_a_trusted_proxy_is_refused(settings):
    """Behind a TLS proxy Mitra sees plain HTTP: without the proxy's word it redirects forever."""
    settings.MITRA_PRODUCTION = True
    settings.SECURE_SSL_REDIRECT = True
    settings.MITRA_TRUSTED_PROXIES = []
    settings.SECURE_PROXY_SSL_HEADER = None
    assert "mitra.W006" in {m.id for m in production_settings()}
    settings.MITRA_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "mitra.W006" not in {m.id for m in production_settings()}


def test_a_cache_of_one_worker_is_refused_in_production(settings):
    settings.MITRA_PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "mitra.W007" in {m.id for m in production_settings()}


def test_without_a_base_url_the_deploy_check_names_the_variable(tmp_path):
    """Escalation and invitation mails need the site's address: unset, their links would be
    relative, which no mail client opens."""
    env = _env(tmp_path)
    env.pop("MITRA_BASE_URL")
    result = run_mitra("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "mitra.W008" in result.stderr and "MITRA_BASE_URL" in result.stderr


def test_a_plain_http_base_url_is_refused_in_production(settings):
    settings.MITRA_PRODUCTION = True
    settings.MITRA_BASE_URL = "http://mitra.example.org"
    assert "mitra.W009" in {m.id for m in production_settings()}
    settings.MITRA_BASE_URL = "https://mitra.example.org"
    found = {m.id for m in production_settings()}
    assert "mitra.W008" not in found and "mitra.W009" not in found
