"""Tables of the Shopify connector (app label `orders`; orders/models.py loads this module).

Kept beside the connector rather than in orders/models.py: nothing in the core order model
depends on them.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ShopifyStore(models.Model):
    """A shop whose webhooks are accepted, and the brand its orders get."""

    domain = models.CharField(
        max_length=255, unique=True, help_text="The shop's myshopify.com domain, lower case."
    )
    brand = models.CharField(max_length=128)
    # The webhook signing secret must be usable to compute HMACs, so it is stored as given (not
    # hashed). It is never shown: the admin form only ever writes it.
    secret = models.CharField(max_length=255)
    # During a rotation the old secret keeps working until the rotation is ended.
    previous_secret = models.CharField(max_length=255, blank=True, default="")
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when a task to apply the store's deliveries was enqueued, cleared when it starts
    # (orders.services.shopify): a burst of deliveries needs one task, not one each.
    apply_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["domain"]
        verbose_name = "Shopify store"
        constraints = [
            models.CheckConstraint(condition=~Q(secret=""), name="shopify_store_has_secret"),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def secrets(self) -> list[str]:
        """Every secret a delivery may be signed with: the current one, then the old one."""
        return [s for s in (self.secret, self.previous_secret) if s]

    @property
    def rotating(self) -> bool:
        return bool(self.previous_secret)


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received", "Received (not applied yet)"
    APPLIED = "applied", "Applied"
    DUPLICATE = "duplicate", "Duplicate"
    STALE = "stale", "Stale"
    IGNORED = "ignored", "Ignored"
    WAITING = "waiting", "Waiting for its order"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One webhook request that passed the signature check, as received, and what came of it."""

    Outcome = DeliveryOutcome

    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="deliveries")
    topic = models.CharField(max_length=100)
    webhook_id = models.CharField("webhook id", max_length=255)
    received_at = models.DateTimeField(default=timezone.now)
    # Personal data: shown to superusers only, deleted after ERCDASH_WEBHOOK_RETENTION_DAYS.
    payload = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(
        max_length=16, choices=DeliveryOutcome.choices, default=DeliveryOutcome.RECEIVED
    )
    # Why a delivery was not applied; never personal data.
    reason = models.CharField(max_length=500, blank=True)
    # The Shopify order the delivery is about (orders/*: its id; fulfillments, refunds: their
    # order_id), so a waiting delivery is found when its order arrives.
    order_ref = models.CharField("Shopify order id", max_length=32, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # When a drain took the delivery to apply it (None: not taken, or given back). Another
    # drain skips it meanwhile; purge_webhook_deliveries hands out one left by a dead worker.
    claimed_at = models.DateTimeField("taken by a worker", null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # The dedup itself: a second insert of the same webhook id fails, whatever the
            # timing (Shopify retries while the first delivery may still be running). Repeats
            # are then recorded as their own `duplicate` rows, outside the constraint.
            models.UniqueConstraint(
                fields=["store", "webhook_id"],
                condition=~Q(outcome="duplicate"),
                name="webhook_delivery_once_per_store",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=DeliveryOutcome.values),
                name="webhook_delivery_outcome_valid",
            ),
        ]
        indexes = [
            # The retention purge and the admin list, newest first.
            models.Index(fields=["received_at"], name="webhook_delivery_received_idx"),
            # Deliveries waiting for an order that just arrived.
            models.Index(
                fields=["store", "order_ref"],
                condition=Q(outcome="waiting"),
                name="webhook_delivery_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id}"


class ShopifyOrder(models.Model):
    """What ercdash knows of one Shopify order: the newest order payload applied, and the
    fulfillments and refunds received for it (by Shopify id), which may come first."""

    store = models.ForeignKey(ShopifyStore, on_delete=models.CASCADE, related_name="orders")
    shopify_id = models.CharField("Shopify order id", max_length=32)
    # The order's updated_at of the newest orders/* payload applied: older ones change nothing.
    updated_at = models.DateTimeField(null=True, blank=True)
    # A backfill file is read with exact decimals (orders.documents.parse): stored as strings.
    order = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    fulfillments = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    refunds = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "Shopify order state"
        constraints = [
            models.UniqueConstraint(fields=["store", "shopify_id"], name="shopify_order_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}:{self.shopify_id}"
