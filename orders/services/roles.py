"""The console's roles as Django groups: what an agent and a supervisor may do."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

# Migration 0002 created these groups; this is their current definition, for commands that
# must not depend on the rows still being there (a flushed test database, a hand-cleaned one).
AGENT_PERMISSIONS = [
    "view_customer",
    "view_address",
    "view_order",
    "view_orderitem",
    "view_statusevent",
    # Redirecting a parcel that has not left is the order edit callers ask for most.
    "change_shipping_address",
]
ROLES = {
    "Agents": AGENT_PERMISSIONS,
    "Supervisors": [*AGENT_PERMISSIONS, "cancel_order"],
}


@transaction.atomic
def role_group(*, name: str) -> Group:
    """The group of a console role, created or completed with its permissions."""
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="orders", codename__in=ROLES[name])
    )
    return group
