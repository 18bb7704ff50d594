"""Walks every URL pattern Mitra defines, for every role, against tests/routes.py.

Fails when a route is missing from the table (a new view without an entry), when an actor gets
another status than the table says, or when a response shows Team B's patient's marker to
anyone outside Team B.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mitra.testing import MARKER, login, make_cast
from tests.routes import ACTORS, ALLOW, EXPECTED, LOGIN, ROUTES

# Mounted third-party packages: allauth's and Django admin's views have their own checks.
FOREIGN_NAMESPACES = {"admin"}


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                module = getattr(p.callback, "__module__", "")
                if namespace in FOREIGN_NAMESPACES or not module.startswith("mitra."):
                    continue
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_project_route_is_in_the_table():
    missing = sorted(project_url_names() - set(ROUTES))
    assert not missing, f"add these routes to tests/routes.py: {missing}"
    stale = sorted(set(ROUTES) - project_url_names())
    assert not stale, f"tests/routes.py lists routes that no longer exist: {stale}"


def test_every_profile_is_known():
    for name, route in ROUTES.items():
        assert route.access in EXPECTED, f"{name}: unknown access profile {route.access}"


def actor_client(cast, actor: str) -> Client:
    client = Client()
    user = {
        "anon": None,
        "patient": cast.patient_user,
        "other_patient": cast.other_patient_user,
        "clinician": cast.clinician,
        "readonly": cast.readonly,
        "other_clinician": cast.other_clinician,
        "researcher": cast.researcher,
        "admin": cast.admin,
    }[actor]
    return login(client, user) if user else client


# Actors allowed to see Team B's patient: the marker may appear in their responses.
SEES_TEAM_B = {"other_patient", "other_clinician"}


@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(ROUTES))
def test_route_access(route_name):
    route = ROUTES[route_name]
    cast = make_cast()
    kwargs = route.kwargs(cast, cast.patient) if route.kwargs else {}
    url = reverse(route_name, kwargs=kwargs)
    for actor in ACTORS:
        client = actor_client(cast, actor)
        if route.method == "GET":
            response = client.get(url)
        else:
            response = client.generic(
                route.method, url, data=_encode(route.data), content_type=_ctype(route.data)
            )
        expected = EXPECTED[route.access][actor]
        where = f"{route.method} {route_name} as {actor}: got {response.status_code}"
        if expected == ALLOW:
            assert response.status_code in route.ok, where
        elif expected == LOGIN:
            assert response.status_code == 302, where
            assert "/accounts/login/" in response["Location"], where
        else:
            assert response.status_code == expected, where
        if actor not in SEES_TEAM_B:
            assert MARKER not in response.content.decode(errors="replace"), (
                f"{where}: leaked Team B's patient"
            )


def _encode(data):
    from urllib.parse import urlencode

    return urlencode(data or {}, doseq=True)


def _ctype(data):
    return "application/x-www-form-urlencoded"
