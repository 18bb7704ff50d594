"""Authentication backends whose per-request user look-up uses a statement built once.

Django loads the signed-in user on every request through the backend named in the session;
these are Django's and django-allauth's backends with only that look-up changed
(`core.rowsql`, the same row and the same `user_can_authenticate` check). The same statement
brings the user's patient record when there is one (`user.patient` then costs no query):
nearly every request a patient makes reads it (`patients.access.get_own_patient`).
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.apps import apps
from django.contrib.auth import backends, get_user_model

from mitra.lib import rowsql


def _load_user(backend: backends.ModelBackend, user_id):
    try:
        # Looked up by name: the patients app builds on this one, not the other way round.
        user, _ = rowsql.get_with(get_user_model(), "pk", user_id,
                                  apps.get_model("patients", "Patient"), "user")
    except (TypeError, ValueError):  # a session holding a malformed id
        return None
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _load_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    def get_user(self, user_id):
        return _load_user(self, user_id)
