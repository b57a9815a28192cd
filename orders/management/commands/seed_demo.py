"""python manage.py seed_demo [--customers N] [--with-demo-users]"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from orders import services
from orders.demo import DemoBuilder

DEMO_USERS = (
    # username (= password), group, superuser
    ("agent", "Agents", False),
    ("supervisor", "Supervisors", False),
    ("admin", None, True),
)


class Command(BaseCommand):
    help = (
        "Load deterministic demo customers and orders (always including the API document's "
        "example customer123 / order123). Safe to run again: unchanged data is left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=25, help="How many customers (default %(default)s)."
        )
        parser.add_argument(
            "--with-demo-users",
            action="store_true",
            help="Also create agent/agent, supervisor/supervisor and admin/admin (demo only!).",
        )

    def handle(self, *args, customers: int, with_demo_users: bool, **options) -> None:
        if with_demo_users and not settings.DEBUG:
            # The demo users have their names as passwords, and a run resets them: on a real
            # deployment that would hand out admin/admin.
            raise CommandError(
                "--with-demo-users is for development only and is refused with DEBUG off "
                "(it sets admin/admin, agent/agent and supervisor/supervisor). Nothing was done."
            )
        if customers < 1:
            raise CommandError("--customers must be at least 1 (the seed example's customer).")
        documents = DemoBuilder(customers).documents()
        result = services.orders_import(documents=documents)
        if result.rejected:
            first = result.errors[0]
            raise CommandError(
                f"Demo data rejected: record {first.record}, {first.field}: {first.description}"
            )
        self.stdout.write(
            f"Demo data: {customers} customers, {len(documents)} orders "
            f"({result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged)."
        )
        if with_demo_users:
            self.stdout.write("Demo users: " + ", ".join(f"{name}/{name}" for name in _users()))


@transaction.atomic
def _users() -> list[str]:
    names = []
    for username, group, superuser in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        # Demo credentials on purpose: set_password skips the password validators.
        user.set_password(username)
        user.is_active = True
        user.is_staff = superuser
        user.is_superuser = superuser
        user.save()
        if group:
            user.groups.add(services.role_group(name=group))
        names.append(username)
    return names
