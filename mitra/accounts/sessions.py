"""Database sessions, read with a statement built once (`core.rowsql`).

Every signed-in request reads its session; Django's own store builds that query anew each
time. Everything else (writing, expiry, cycling keys at sign-in) is Django's database store.
Set as SESSION_ENGINE.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.utils import timezone

from mitra.lib import rowsql


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = rowsql.get(self.model, "session_key", self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
