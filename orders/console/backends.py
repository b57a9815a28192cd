"""Django's model authentication backend, reading a user's permissions in one query."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, router


@cache
def _permissions_sql() -> str:
    """The codenames (with app labels) of a user's own permissions and their groups'."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta
    membership = user_model._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"SELECT ct.{quote('app_label')}, p.{quote('codename')}"
        f" FROM {quote(Permission._meta.db_table)} p"
        f" INNER JOIN {quote(ContentType._meta.db_table)} ct"
        f" ON ct.{quote('id')} = p.{column(Permission._meta, 'content_type')}"
        f" WHERE p.{quote('id')} IN ("
        f"SELECT {column(own, 'permission')} FROM {quote(own.db_table)}"
        f" WHERE {column(own, 'user')} = %s"
        f" UNION SELECT g.{column(granted, 'permission')} FROM {quote(granted.db_table)} g"
        f" INNER JOIN {quote(membership.db_table)} m"
        f" ON m.{column(membership, 'group')} = g.{column(granted, 'group')}"
        f" WHERE m.{column(membership, 'user')} = %s)"
    )


class ModelBackend(backends.ModelBackend):
    """Every console request checks the agent's permissions; Django reads the user's own and
    their groups' in two ORM queries, this reads both in one hand-written one (compiling
    the ORM's would cost more than the query). Nothing is kept beyond the request (the user
    object holds them, as in Django): a permission taken away applies at once."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                user_obj._perm_cache = super().get_all_permissions(user_obj)
            else:
                database = router.db_for_read(Permission)
                with connections[database].cursor() as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                    rows = cursor.fetchall()
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
