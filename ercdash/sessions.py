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
        database = router.db_for_read(model)
        connection = connections[database]
        try:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            rows = model.objects.db_manager(database).raw(
                _session_sql(model, database), [self.session_key, now]
            )
            session = next(iter(rows), None)
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            session = None
        if session is None:
            self._session_key = None
        return session


@cache
def _session_sql(model, database: str) -> str:
    quote = connections[database].ops.quote_name
    meta = model._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)}"
        f" WHERE {quote(meta.get_field('session_key').column)} = %s"
        f" AND {quote(meta.get_field('expire_date').column)} > %s"
    )
