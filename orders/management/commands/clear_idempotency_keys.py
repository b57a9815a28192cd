"""python manage.py clear_idempotency_keys"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from orders import services


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than 24 hours, with the answers they hold. Every "
        "keyed API write does this too; run it from cron where such writes are rare."
    )

    def handle(self, *args, **options) -> None:
        deleted = services.idempotency_keys_expire()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
