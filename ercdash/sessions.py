"""Database sessions (the engine without REDIS_URL), loaded by a hand-written SELECT.

Every console request loads its session; Django's ORM query for it costs more to compile than
the indexed lookup itself. The row, its expiry check and everything else are Django's own
(django.contrib.sessions.backends.db): a session deleted at logout is gone at once.
"""

from __future__ import annotations

import logging
from functools import cache

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        try:
            key = self.session_key
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            with connection.cursor() as cursor:
                cursor.execute(_session_sql(model, connection.alias), [key, now])
                row = cursor.fetchone()
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            row = None
        if row is None:
            self._session_key = None
            return None
        # load() reads only the data; the expiry was checked by the query.
        return model(session_key=key, session_data=row[0])


@cache
def _session_sql(model, database: str) -> str:
    quote = connections[database].ops.quote_name
    meta = model._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"SELECT {column('session_data')} FROM {quote(meta.db_table)}"
        f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )
