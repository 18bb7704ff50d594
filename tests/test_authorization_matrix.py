"""Walks every URL pattern Mitra defines, for every role, against tests/routes.py.

Fails when a route is missing from the table (a new view without an entry), when an actor gets
another status than the table says, or when a response shows Team B's patient's marker to
anyone outside Team B. `route_problems` is the check for one route; the last test proves it
notices when a view's access check is removed.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib import admin
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from mitra.testing import MARKER, Cast, login, make_cast
from tests.routes import (
    ACTORS,
    ADMIN_LOGIN,
    ADMIN_PROFILES,
    ADMIN_ROUTES,
    ALLOW,
    EXPECTED,
    LOGIN,
    ROUTES,
    TOKEN_CREATION_STALE_SESSION,
)

# Mounted third-party packages: allauth's and Django admin's views have their own checks.
FOREIGN_NAMESPACES = {"admin"}

# Actors allowed to see Team B's patient: the marker may appear in their responses.
SEES_TEAM_B = {"other_patient", "other_clinician"}


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


def actor_client(cast: Cast, actor: str, client: Client) -> Client:
    """`client` signed in as `actor` (or signed out, for anon), nothing kept from before."""
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
    # A fresh cookie jar is a fresh visitor; the client itself is kept, because a new one loads
    # the middleware again (WhiteNoise scans every static file), about 30 ms each time.
    client.cookies.clear()
    return login(client, user) if user else client


def route_problems(route_name: str, cast: Cast) -> list[str]:
    """Every way the route departs from its access profile, for every actor (empty: all good)."""
    route = ROUTES[route_name]
    kwargs = route.kwargs(cast, cast.patient) if route.kwargs else {}
    url = reverse(route_name, kwargs=kwargs)
    problems: list[str] = []
    visitor = Client()
    for actor in ACTORS:
        cache.clear()  # rate limits and one-time codes from an earlier actor must not leak in
        client = actor_client(cast, actor, visitor)
        if route.method == "GET":
            response = client.get(url)
        else:
            response = client.generic(
                route.method, url, data=urlencode(route.data or {}, doseq=True),
                content_type="application/x-www-form-urlencoded",
            )
        expected = EXPECTED[route.access][actor]
        where = f"{route.method} {route_name} as {actor}: got {response.status_code}"
        status = response.status_code
        if expected == ALLOW:
            if status not in route.ok:
                problems.append(f"{where}, expected one of {sorted(route.ok)}")
        elif expected == LOGIN:
            if status != 302 or "/accounts/login/" not in response.get("Location", ""):
                problems.append(f"{where}, expected a redirect to the login page")
        elif status != expected:
            problems.append(f"{where}, expected {expected}")
        body = b"".join(response) if response.streaming else response.content
        if actor not in SEES_TEAM_B and MARKER in body.decode(errors="replace"):
            problems.append(f"{where}: leaked Team B's patient")
    return problems


def test_every_project_route_is_in_the_table():
    missing = sorted(project_url_names() - set(ROUTES))
    assert not missing, f"add these routes to tests/routes.py: {missing}"
    stale = sorted(set(ROUTES) - project_url_names())
    assert not stale, f"tests/routes.py lists routes that no longer exist: {stale}"


def test_every_profile_is_known():
    for name, route in ROUTES.items():
        assert route.access in EXPECTED, f"{name}: unknown access profile {route.access}"


@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(ROUTES))
def test_route_access(route_name):
    problems = route_problems(route_name, make_cast())
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_matrix_notices_a_view_whose_access_check_was_removed():
    """Swap the patient page's access check for a plain lookup: the matrix must report it."""
    from mitra.patients.models import Patient

    cast = make_cast()
    assert route_problems("core:patient", cast) == []

    def unchecked(request, patient_uuid, **kwargs):
        return Patient.objects.get(uuid=patient_uuid)

    with mock.patch("mitra.core.views.get_patient_for_user", unchecked):
        problems = route_problems("core:patient", cast)
    # Team B's clinician now reads Team A's patient: the leak the matrix exists to catch.
    assert any("as other_clinician: got 200" in p for p in problems), problems


@pytest.mark.django_db
def test_the_matrix_notices_a_leaked_marker():
    """A caseload that lists every patient shows Team B's marker to Team A: reported."""
    from mitra.patients.models import Patient

    cast = make_cast()
    with mock.patch("mitra.reports.views.patients_for_user", lambda user: Patient.objects.all()):
        problems = route_problems("core:caseload", cast)
    assert any("as clinician" in p and "leaked Team B's patient" in p for p in problems), problems


# --- Django's admin, for the models a care-team admin manages ----------------------------------


def care_admin_url_names(care_admin) -> set[str]:
    """The admin URL names of every model a care-team admin can open."""
    request = RequestFactory().get("/admin/")
    request.user = care_admin
    return {p.name for model_admin in admin.site._registry.values()
            if model_admin.has_module_permission(request)
            for p in model_admin.get_urls() if p.name}


@pytest.mark.django_db
def test_every_care_admin_route_is_in_the_admin_table():
    reachable = care_admin_url_names(make_cast().admin)
    listed = {name.split("#")[0] for name in ADMIN_ROUTES}
    assert not reachable - listed, "add these admin routes to tests/routes.py"
    assert not listed - reachable, "tests/routes.py lists admin routes that are gone"


@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(ADMIN_ROUTES))
def test_admin_route_access(route_name):
    cast = make_cast()
    route = ADMIN_ROUTES[route_name]
    obj = route.obj(cast) if route.obj else None
    url = reverse(f"admin:{route_name.split('#')[0]}", args=[obj.pk] if obj else [])
    problems = []
    visitor = Client()
    for actor in ACTORS:
        client = actor_client(cast, actor, visitor)
        response = (client.get(url) if route.method == "GET"
                    else client.post(url, route.data or {}))
        expected = ADMIN_PROFILES[route.access][actor]
        status = response.status_code
        where = f"{route.method} admin:{route_name} as {actor}: got {status}"
        if expected in (ADMIN_LOGIN, LOGIN):
            login_url = "/admin/login/" if expected == ADMIN_LOGIN else "/accounts/login/"
            if status != 302 or not response["Location"].startswith(login_url):
                problems.append(f"{where}, expected a redirect to {login_url}")
        elif expected == ALLOW:
            if status != 200:
                problems.append(f"{where}, expected 200")
        elif status != expected:
            problems.append(f"{where}, expected {expected}")
    assert not problems, "\n".join(problems)
    cast.patient_user.refresh_from_db()
    assert cast.patient_user.check_password("correct horse battery staple")


@pytest.mark.django_db
def test_creating_a_token_with_a_stale_session_asks_staff_to_prove_the_second_factor():
    from mitra.api.models import ApiToken

    form = {"name": "matrix", "scopes": ["read"], "lifetime_days": "30"}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        cast = make_cast()
        # A client each: every session must be signed in before the clock moves on.
        clients = {actor: actor_client(cast, actor, Client()) for actor in ACTORS}
        traveller.shift(timedelta(minutes=6))
        problems = []
        for actor in ACTORS:
            response = clients[actor].post(reverse("api:tokens"), form)
            expected = TOKEN_CREATION_STALE_SESSION[actor]
            status, where = response.status_code, response.get("Location", "")
            if expected == ALLOW:
                ok = status == 200 and b'<code class="secret">' in response.content
            elif expected == LOGIN:
                ok = status == 302 and where.startswith("/accounts/login/")
            else:
                ok = status == 302 and where.startswith(expected)
            if not ok:
                problems.append(f"POST api:tokens as {actor}: got {status} {where}, "
                                f"expected {expected}")
    assert not problems, "\n".join(problems)
    assert set(ApiToken.objects.values_list("user__role", flat=True)) == {"patient"}
