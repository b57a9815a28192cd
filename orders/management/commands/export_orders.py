"""python manage.py export_orders [--customer ID]"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import services
from orders.documents.codec import dumps
from orders.models import AccessAudit, Customer
from orders.rules import actors


class Command(BaseCommand):
    help = "Write order documents as JSON Lines on stdout, sorted by order id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", metavar="ID", help="Only this customer's orders.")

    def handle(self, *args, customer: str | None, **options) -> None:
        if customer is not None and not Customer.objects.filter(external_id=customer).exists():
            raise CommandError("No customer with this id.")
        count = 0
        for document in services.orders_export(customer_id=customer):
            self.stdout.write(dumps(document).decode())
            count += 1
        # A bulk export of personal data is an access like any other: leave a trace.
        services.audit_record(
            actor=actors.command(_login()),
            channel=AccessAudit.Channel.ADMIN,
            action=AccessAudit.Action.EXPORT_ORDERS,
            customer_id=customer or "",
            detail=f"export_orders: {count} orders",
        )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
