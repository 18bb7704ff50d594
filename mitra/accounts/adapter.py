from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from mitra.lib.client_address import client_address


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
