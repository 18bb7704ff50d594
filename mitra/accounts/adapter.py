from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from mitra.lib import conf
from mitra.lib.client_address import client_address


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates call `current_site`: the site's name and its public host.

    Without django.contrib.sites allauth would take both from the request's host, so a
    password-reset mail came "[127.0.0.1:8000]" and "Hello from 127.0.0.1:8000!"."""

    name: str
    domain: str


def mail_site(request=None) -> MailSite:
    """SITE_NAME (MITRA_SITE_NAME, "Mitra") and the host of MITRA_BASE_URL (the request's host
    only when no base URL is set)."""
    host = urlsplit(conf.base_url()).netloc
    if not host and request is not None:
        host = request.get_host()
    return MailSite(name=str(settings.SITE_NAME), domain=host)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are created by a care-team admin, never by self sign-up.
        return False

    def get_client_ip(self, request) -> str:
        # allauth's own reading trusts X-Forwarded-For by proxy count; Mitra's one rule trusts
        # it only from the proxies named in MITRA_TRUSTED_PROXIES (as axes and the audit do).
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The site's own name and host in every allauth mail (password reset, ...); the
        # subject's "[Mitra]" comes from ACCOUNT_EMAIL_SUBJECT_PREFIX.
        context = {"current_site": mail_site(getattr(self, "request", None)), **context}
        super().send_mail(template_prefix, email, context)
