"""Django's model authentication backend, with its per-request read hand-written: the signed-in
user (every request) and their permissions (every console page) in one query."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, router

from orders import rows


@cache
def _permissions_sql(after: int = 0) -> str:
    """The app labels and codenames of a user's own permissions and their groups' (one row
    per grant), each row after `after` NULLs: the shape of the user's row they follow."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta
    membership = user_model._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    def permission(permission_id: str) -> str:
        return (
            f" INNER JOIN {quote(Permission._meta.db_table)} p"
            f" ON p.{quote('id')} = {permission_id}"
            f" INNER JOIN {quote(ContentType._meta.db_table)} ct"
            f" ON ct.{quote('id')} = p.{column(Permission._meta, 'content_type')}"
        )

    select = "SELECT " + "NULL, " * after + f"ct.{quote('app_label')}, p.{quote('codename')}"
    own_permission = "o." + column(own, "permission")
    group_permission = "g." + column(granted, "permission")
    return (
        f"{select} FROM {quote(own.db_table)} o{permission(own_permission)}"
        f" WHERE o.{column(own, 'user')} = %s"
        f" UNION ALL {select} FROM {quote(membership.db_table)} m"
        f" INNER JOIN {quote(granted.db_table)} g"
        f" ON g.{column(granted, 'group')} = m.{column(membership, 'group')}"
        f"{permission(group_permission)}"
        f" WHERE m.{column(membership, 'user')} = %s"
    )


@cache
def _user_sql(database: str) -> str:
    """The user's row, then one row per permission they were granted (their own and their
    groups'), the user's columns empty there: the user and what they may do in one round
    trip, the user's values read once."""
    quote = connections[database].ops.quote_name
    meta = get_user_model()._meta
    return (
        f"SELECT {rows.columns(meta.model, _user_fields(), 'u', quote)}, NULL, NULL"
        f" FROM {quote(meta.db_table)} u WHERE u.{quote(meta.pk.column)} = %s"
        f" UNION ALL {_permissions_sql(len(_user_fields()))}"
    )


@cache
def _user_fields() -> tuple[str, ...]:
    return tuple(field.name for field in get_user_model()._meta.concrete_fields)


class ModelBackend(backends.ModelBackend):
    """Every console request loads the signed-in user and checks the agent's permissions;
    Django reads the user, their own and their groups' permissions in three ORM queries, this
    reads them in one. Compiling the ORM's queries costs more than running them. Nothing is
    kept beyond the request (the user object holds them, as in Django): a deactivated user or
    a permission taken away applies at once."""

    def get_user(self, user_id):
        user_model = get_user_model()
        database = router.db_for_read(user_model)
        connection = connections[database]
        user_id = user_model._meta.pk.get_db_prep_value(user_id, connection)
        with connection.cursor() as cursor:
            cursor.execute(_user_sql(database), [user_id, user_id, user_id])
            found = cursor.fetchall()
        fields = _user_fields()
        # The user's row is the one with a primary key; the others are permissions.
        pk = fields.index(user_model._meta.pk.name)
        user_row = next((row for row in found if row[pk] is not None), None)
        if user_row is None:
            return None
        user = rows.instance(user_model, fields, user_row[: len(fields)], database)
        if not user.is_superuser:  # a superuser holds every permission (Django's backend)
            user._perm_cache = {
                f"{app_label}.{codename}"
                for *_, app_label, codename in found
                if codename is not None
            }
        return user if self.user_can_authenticate(user) else None

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
                    found = cursor.fetchall()
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in found}
        return user_obj._perm_cache
