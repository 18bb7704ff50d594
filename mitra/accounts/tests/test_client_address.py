"""The client's address: X-Forwarded-For counts only when a configured trusted proxy sent it.

One rule (mitra/lib/client_address.py) for django-axes' failure records, django-allauth's rate
limits and the audit trail's client address.
"""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory

from mitra.audit.models import AuditEvent
from mitra.lib.client_address import client_address
from mitra.testing import TEST_PASSWORD, make_cast
from tests.clitools import mitra_env, run_mitra

LOGIN = "/accounts/login/"
PROXY = "10.0.0.5"
CLIENT = "203.0.113.77"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.MITRA_TRUSTED_PROXIES = []
    assert client_address(_request(PROXY, CLIENT)) == PROXY
    assert client_address(_request(CLIENT)) == CLIENT


def test_a_trusted_proxy_names_the_client(settings):
    settings.MITRA_TRUSTED_PROXIES = [PROXY]
    assert client_address(_request(PROXY, CLIENT)) == CLIENT
    # A request that did not come through the proxy keeps its own address, header or not.
    assert client_address(_request("192.0.2.9", CLIENT)) == "192.0.2.9"
    # No header from the proxy: the proxy itself is the client (a health check, say).
    assert client_address(_request(PROXY)) == PROXY


def test_the_right_most_untrusted_address_wins_over_what_the_client_wrote(settings):
    settings.MITRA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client wrote the first entry itself; the proxies appended the rest.
    assert client_address(_request(PROXY, f"1.2.3.4, {CLIENT}, 10.0.0.9")) == CLIENT
    assert client_address(_request(PROXY, f"not-an-address, {CLIENT}")) == CLIENT
    # Every hop trusted: the left-most is the nearest thing to a client there is.
    assert client_address(_request(PROXY, "10.1.1.1, 10.0.0.9")) == "10.1.1.1"
    # Garbage where the client's address should be: stop at the last trusted hop.
    assert client_address(_request(PROXY, "garbage")) == PROXY
    assert client_address(_request(PROXY, "2001:db8::7")) == "2001:db8::7"


def test_a_trusted_proxy_given_by_ipv6_address(settings):
    settings.MITRA_TRUSTED_PROXIES = ["::1"]
    assert client_address(_request("::1", CLIENT)) == CLIENT


@pytest.mark.django_db
@pytest.mark.parametrize("trusted, expected", [([], "127.0.0.1"), (["127.0.0.1"], CLIENT)])
def test_axes_allauth_and_the_audit_trail_use_the_same_address(settings, trusted, expected):
    settings.MITRA_TRUSTED_PROXIES = trusted
    cache.clear()
    make_cast()
    client = Client(HTTP_X_FORWARDED_FOR=CLIENT)  # REMOTE_ADDR is 127.0.0.1, the "proxy"
    client.post(LOGIN, {"login": "alice", "password": "a wrong guess"})
    assert AccessAttempt.objects.get(username="alice").ip_address == expected
    client.post(LOGIN, {"login": "pat", "password": TEST_PASSWORD})
    assert AuditEvent.objects.get(event="account.signed_in").client_address == expected
    request = _request("127.0.0.1", CLIENT)
    assert get_adapter(request).get_client_ip(request) == expected
    cache.clear()


@pytest.mark.parametrize("value", ["10.0.0.1, proxy.example.org", "10.0.0.0/33"])
def test_a_malformed_trusted_proxy_list_stops_start_up(tmp_path, value):
    result = run_mitra("check", env=mitra_env(tmp_path, MITRA_TRUSTED_PROXIES=value))
    assert result.returncode == 2, result.stderr
    assert "MITRA_TRUSTED_PROXIES" in result.stderr
    assert "IP address or network" in result.stderr
    assert "Traceback" not in result.stderr
