"""python manage.py purge_webhook_deliveries [--days N]"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from orders.services import shopify


class Command(BaseCommand):
    help = (
        "Delete Shopify webhook deliveries (their payloads hold personal data) received more "
        "than ERCDASH_WEBHOOK_RETENTION_DAYS days ago, and queue again any delivery left "
        "unapplied for over ten minutes. Run it from cron, e.g. hourly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.ERCDASH_WEBHOOK_RETENTION_DAYS,
            help="Keep this many days of deliveries (default: %(default)s).",
        )

    def handle(self, *args, days: int, **options) -> None:
        deleted = shopify.deliveries_purge(days=days)
        queued = shopify.deliveries_requeue_stranded()
        self.stdout.write(f"Deleted {deleted} webhook deliveries older than {days} days.")
        if queued:
            self.stdout.write(f"Queued {queued} unapplied deliveries again.")
