"""python manage.py refresh_documents [--customer ID]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import services
from orders.models import Customer, Order


class Command(BaseCommand):
    help = (
        "Recompute the derived values and stored API documents of orders. Every write path of "
        "ercdash does this itself; run it after changing rows by hand (shell, SQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", metavar="ID", help="Only this customer's orders.")

    def handle(self, *args, customer: str | None, **options) -> None:
        orders = Order.objects.select_related("customer", "shipping_address", "billing_address")
        if customer is not None:
            if not Customer.objects.filter(external_id=customer).exists():
                raise CommandError("No customer with this id.")
            orders = orders.filter(customer__external_id=customer)
        count = 0
        for order in orders.order_by("pk").iterator(chunk_size=500):
            services.order_refresh(order=order)
            count += 1
        self.stdout.write(f"Refreshed {count} orders.")
