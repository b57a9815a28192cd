from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from orders.rules import actions, cards, ids, money, phones, places
from orders.rules import shipments as shipment_rules
from orders.rules.text import fold

# Money: up to 15 significant digits, so every stored amount is exactly representable as
# the shortest float repr the JSON encoder writes (see documents.codec).
MONEY = {"max_digits": 15, "decimal_places": 3, "null": True, "blank": True}


class DeliveryType(models.TextChoices):
    UNKNOWN = "UNKNOWN"
    LOCAL_DELIVERY = "LOCAL_DELIVERY"
    LOCAL_PICKUP = "LOCAL_PICKUP"
    SHIPPING = "SHIPPING"


class GenericType(models.TextChoices):
    UNKNOWN = "UNKNOWN"
    CONFIRMED = "CONFIRMED"
    ON_ITS_WAY = "ON_ITS_WAY"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"


class DetailedType(models.TextChoices):
    UNKNOWN = "UNKNOWN"
    ATTEMPTED_DELIVERY = "ATTEMPTED_DELIVERY"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    CONFIRMED = "CONFIRMED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    FAILURE = "FAILURE"


class CancellationStatus(models.TextChoices):
    UNKNOWN = "UNKNOWN"
    CANCELED = "CANCELED"


class CancelReason(models.TextChoices):
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST", "Customer changed their mind"
    ORDERED_BY_MISTAKE = "ORDERED_BY_MISTAKE", "Ordered by mistake"
    DUPLICATE_ORDER = "DUPLICATE_ORDER", "Duplicate order"
    WRONG_ITEMS = "WRONG_ITEMS", "Wrong items or size"
    DELIVERY_TOO_LATE = "DELIVERY_TOO_LATE", "Delivery date too late"
    PAYMENT_ISSUE = "PAYMENT_ISSUE", "Payment issue"
    SUSPECTED_FRAUD = "SUSPECTED_FRAUD", "Suspected fraud"
    OTHER = "OTHER", "Other"


class FulfillmentStatus(models.TextChoices):
    # Computed by rules.shipments.fulfillment_status (shipped vs ordered quantities).
    UNFULFILLED = shipment_rules.UNFULFILLED
    PARTIALLY_FULFILLED = shipment_rules.PARTIALLY_FULFILLED
    FULFILLED = shipment_rules.FULFILLED


def _in_choices(field: str, choices: type[models.TextChoices], *, blank: bool = True) -> Q:
    condition = Q(**{f"{field}__in": choices.values})
    return condition | Q(**{field: ""}) if blank else condition


class IntegrationType(models.TextChoices):
    UNKNOWN = "UNKNOWN", "Unknown"
    SHOPIFY = "SHOPIFY", "Shopify"


class Customer(models.Model):
    external_id = models.CharField(
        "customer id", max_length=128, unique=True, validators=[ids.validate_external_id]
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    phone_number = models.CharField(
        max_length=16, blank=True, db_index=True, validators=[phones.validate_e164]
    )
    brand = models.CharField(max_length=128, blank=True)
    customer_since = models.DateTimeField(null=True, blank=True)
    # Key/value pairs from the source system (rules.custom_fields): shown, never interpreted.
    custom_fields = models.JSONField(default=dict, blank=True)
    # Where the customer lives in the system they came from (a connector's admin page).
    integration_type = models.CharField(max_length=16, choices=IntegrationType, blank=True)
    integration_url = models.URLField(max_length=1024, blank=True)
    # Accent- and case-folded copies of the names (text.fold), kept by save(): SQLite has no
    # unaccent, and external-customers?name= must match "Jose" with "José" on every database.
    first_name_folded = models.CharField(max_length=150, blank=True, editable=False)
    last_name_folded = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]
        indexes = [
            # Agent search and external-customers?name= look customers up by name.
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.external_id})" if name else self.external_id

    def save(self, *args, **kwargs) -> None:
        self.fold_names()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "first_name_folded", "last_name_folded"}
        super().save(*args, **kwargs)

    def fold_names(self) -> None:
        """Keep the folded copies of the names; save() does, bulk writes call it themselves."""
        self.first_name_folded = fold(self.first_name)
        self.last_name_folded = fold(self.last_name)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    # Optional: addresses imported without an id are matched by content instead.
    external_id = models.CharField(
        "address id", max_length=128, blank=True, validators=[ids.validate_external_id]
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    address = models.CharField("address line", max_length=255, blank=True)
    zip_code = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=128, blank=True)
    region_code = models.CharField(
        max_length=6, blank=True, validators=[places.validate_region_code]
    )
    country_code = models.CharField(
        max_length=2, blank=True, validators=[places.validate_country_code]
    )
    is_default = models.BooleanField("default", default=False)

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_id"],
                condition=~Q(external_id=""),
                name="address_id_unique_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(country_code="") | Q(country_code__regex=r"^[A-Z]{2}$"),
                name="address_country_code_iso",
            ),
        ]

    def __str__(self) -> str:
        parts = [self.address, self.zip_code, self.city, self.country_code]
        return ", ".join(p for p in parts if p) or f"address {self.pk}"


class Order(models.Model):
    external_id = models.CharField(
        "order id", max_length=128, unique=True, validators=[ids.validate_external_id]
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    order_number = models.CharField(max_length=128)
    brand = models.CharField(max_length=128, blank=True)
    purchase_datetime = models.DateTimeField(null=True, blank=True)
    delivery_type = models.CharField(max_length=32, blank=True, choices=DeliveryType.choices)
    shipping_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    billing_address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Stored value from the source system; the API prefers the sum of item quantities.
    items_number = models.PositiveIntegerField(null=True, blank=True)

    currency = models.CharField(max_length=3, blank=True)
    original_total_amount = models.DecimalField(**MONEY)
    discounts_amount = models.DecimalField(**MONEY)
    shipping_amount = models.DecimalField(**MONEY)
    taxes_amount = models.DecimalField(**MONEY)
    final_total_amount = models.DecimalField(**MONEY)

    # PCI DSS 3.4.1: brand, icon, last four digits and the refund flag only. No CVV, ever.
    card_brand = models.CharField(max_length=64, blank=True)
    card_brand_image_url = models.URLField(max_length=1024, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    is_refunded = models.BooleanField(null=True, blank=True)

    # Sum of the refunds, when the source reports them (net payment = final total - this).
    total_refunded_amount = models.DecimalField(**MONEY)

    highlighted_item_image_url = models.URLField(max_length=1024, blank=True)
    # The source platform's own words: its payment status (upper-case, e.g. PARTIALLY_REFUNDED)
    # and its order status text. Served as given, never interpreted.
    payment_status = models.CharField(max_length=32, blank=True)
    status = models.CharField("source status", max_length=128, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    cancellation_status = models.CharField(
        max_length=16, blank=True, choices=CancellationStatus.choices
    )
    canceled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=64, blank=True, choices=CancelReason.choices)
    canceled_by = models.CharField(max_length=200, blank=True)
    # What the canceller asked for besides the reason. Recorded and shown, not acted on:
    # ercdash sends no email, moves no stock and no money.
    cancel_staff_note = models.CharField(max_length=500, blank=True)
    cancel_restock = models.BooleanField(null=True, blank=True)
    cancel_notify_customer = models.BooleanField(null=True, blank=True)
    cancel_refund_method = models.CharField(max_length=64, blank=True)
    # Set when the shipping address was changed here (API, console, admin): a re-import of
    # the source's view of the order keeps the address chosen here, as it keeps a cancel.
    shipping_address_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Derived from items and status events, kept fresh by services.order_refresh so that
    # an order read is a single query.
    derived_items_quantity = models.PositiveIntegerField(null=True, blank=True, editable=False)
    derived_top_item_image_url = models.URLField(max_length=1024, blank=True, editable=False)
    # The item whose image is the highlighted one (most-recent-order's highlighted_item),
    # joined to that read instead of loading every item.
    derived_highlighted_item = models.ForeignKey(
        "OrderItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    latest_generic_type = models.CharField(
        max_length=32, blank=True, choices=GenericType.choices, editable=False
    )
    latest_detailed_type = models.CharField(
        max_length=32, blank=True, choices=DetailedType.choices, editable=False
    )
    latest_status_at = models.DateTimeField(null=True, blank=True, editable=False)
    latest_status_description = models.CharField(max_length=500, blank=True, editable=False)
    # From the shipments: shipped vs ordered quantities, and the latest parcel's detailed type.
    fulfillment_status = models.CharField(
        max_length=32,
        choices=FulfillmentStatus.choices,
        default=FulfillmentStatus.UNFULFILLED,
        editable=False,
    )
    delivery_status = models.CharField(
        max_length=32, blank=True, choices=DetailedType.choices, editable=False
    )
    # The ERC order body (without _links) as served, re-rendered by the documents services
    # after every write to the order, its customer, addresses, items or timeline: the API
    # read is one indexed SELECT of this column.
    document = models.TextField(blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-purchase_datetime", "-id"]
        permissions = [
            ("cancel_order", "Can cancel orders"),
            ("change_shipping_address", "Can change the shipping address of orders"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "order_number"], name="order_number_unique_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(currency="") | Q(currency__regex=r"^[A-Z]{3}$"),
                name="order_currency_iso",
            ),
            models.CheckConstraint(
                condition=Q(card_last4="") | Q(card_last4__regex=r"^[0-9]{4}$"),
                name="order_card_last4_digits",
            ),
            models.CheckConstraint(
                condition=_in_choices("delivery_type", DeliveryType),
                name="order_delivery_type_valid",
            ),
            models.CheckConstraint(
                condition=_in_choices("cancellation_status", CancellationStatus),
                name="order_cancellation_status_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
                    name=f"order_{field}_not_negative",
                )
                for field in (
                    "original_total_amount",
                    "discounts_amount",
                    "shipping_amount",
                    "taxes_amount",
                    "final_total_amount",
                    "total_refunded_amount",
                )
            ),
        ]
        indexes = [
            # Customer order lists: WHERE customer_id = ? ORDER BY purchase_datetime, id.
            models.Index(
                fields=["customer", "-purchase_datetime", "-id"], name="order_customer_recent_idx"
            ),
            # Account-wide list and the console's order-number search. PostgreSQL gets it
            # DESC NULLS LAST, the list's own order, from migration 0006.
            models.Index(fields=["-purchase_datetime", "-id"], name="order_recent_idx"),
            models.Index(fields=["order_number"], name="order_number_idx"),
            # Admin's "fulfillment status" list filter.
            models.Index(fields=["fulfillment_status"], name="order_fulfillment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} ({self.external_id})"

    @property
    def items_count(self) -> int | None:
        """items_number as served: sum of item quantities when there are items."""
        if self.derived_items_quantity is not None:
            return self.derived_items_quantity
        return self.items_number

    @property
    def highlighted_image(self) -> str:
        return self.highlighted_item_image_url or self.derived_top_item_image_url

    @property
    def masked_card_number(self) -> str:
        return cards.masked(self.card_last4)

    @property
    def is_canceled(self) -> bool:
        return self.cancellation_status == CancellationStatus.CANCELED

    @property
    def is_cancellable(self) -> bool:
        # Not canceled, not shipped, nothing in a parcel: the state the cancel service
        # updates from (rules.actions.CANCELLABLE).
        return actions.can_cancel(self)

    @property
    def is_change_shipping_address_allowed(self) -> bool:
        return actions.can_change_shipping_address(self)

    @property
    def net_payment_amount(self) -> Decimal | None:
        """The final total minus the refunds, when both are known."""
        if self.final_total_amount is None or self.total_refunded_amount is None:
            return None
        return self.final_total_amount - self.total_refunded_amount

    def amounts(self) -> dict[str, Decimal | None]:
        return {name: getattr(self, name) for name in money.AMOUNT_FIELDS}


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField("item id", max_length=128, validators=[ids.validate_external_id])
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=255, blank=True)
    sku = models.CharField(max_length=128, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    price = models.DecimalField(max_digits=15, decimal_places=3)
    currency = models.CharField(max_length=3)
    image_url = models.URLField(max_length=1024, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="item_id_unique_per_order"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=100), name="item_quantity_1_100"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="item_price_not_negative"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="item_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class StatusEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_events")
    generic_type = models.CharField(max_length=32, choices=GenericType.choices)
    detailed_type = models.CharField(max_length=32, blank=True, choices=DetailedType.choices)
    status_date_time = models.DateTimeField()
    description = models.CharField(max_length=500, blank=True)
    # Recorded by ercdash itself (a cancellation through the API, console or admin), not
    # by the source system: an import keeps it whatever the imported timeline says.
    is_local = models.BooleanField(default=False, editable=False)

    class Meta:
        # Ties on the timestamp go to the event recorded last (higher id).
        ordering = ["order_id", "status_date_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("generic_type", GenericType, blank=False),
                name="status_generic_type_valid",
            ),
            models.CheckConstraint(
                condition=_in_choices("detailed_type", DetailedType),
                name="status_detailed_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "status_date_time", "id"], name="status_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.generic_type}/{self.detailed_type or '-'} @ {self.status_date_time}"


class Shipment(models.Model):
    """A parcel of an order: carrier, tracking number, promised window and its own history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    external_id = models.CharField(
        "shipment id", max_length=128, validators=[ids.validate_external_id]
    )
    position = models.PositiveIntegerField(default=0)
    carrier = models.CharField(max_length=128, blank=True, help_text="Display name, e.g. UPS.")
    tracking_number = models.CharField(max_length=64, blank=True)
    # As given by the source; when empty the carrier library may build one (rules.carriers).
    tracking_url = models.URLField(max_length=1024, blank=True)
    service_level = models.CharField(max_length=128, blank=True)
    shipping_date = models.DateTimeField(null=True, blank=True)
    delivery_date_start = models.DateTimeField(null=True, blank=True)
    delivery_date_end = models.DateTimeField(null=True, blank=True)
    # The latest event of the parcel's own history, kept by services.order_refresh so that
    # lists and the delivery_statuses filter need no per-parcel query.
    latest_detailed_type = models.CharField(
        max_length=32, blank=True, choices=DetailedType.choices, editable=False
    )
    latest_status_at = models.DateTimeField(null=True, blank=True, editable=False)
    latest_status_description = models.CharField(max_length=500, blank=True, editable=False)
    latest_status_location = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="shipment_id_unique_per_order"
            ),
            models.CheckConstraint(
                condition=Q(tracking_url="") | Q(tracking_url__startswith="https://"),
                name="shipment_tracking_url_https",
            ),
            models.CheckConstraint(
                condition=Q(delivery_date_start__isnull=True)
                | Q(delivery_date_end__isnull=True)
                | Q(delivery_date_end__gte=F("delivery_date_start")),
                name="shipment_delivery_window_ordered",
            ),
            models.CheckConstraint(
                condition=_in_choices("latest_detailed_type", DetailedType),
                name="shipment_latest_type_valid",
            ),
        ]
        indexes = [
            # "Where is parcel 1Z…?": console search, /agent/lookup?tracking_number= and the
            # API's tracking_number filter compare upper-cased numbers.
            models.Index(Upper("tracking_number"), name="shipment_tracking_number_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.carrier, self.tracking_number) if part) or (
            self.external_id
        )


class ShipmentItem(models.Model):
    """How many of one order item travel in a shipment (split shipments list each part)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["shipment_id", "id"]
        verbose_name = "shipped item"
        constraints = [
            models.UniqueConstraint(fields=["shipment", "item"], name="shipment_item_once"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=100),
                name="shipment_item_quantity_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"


class ShipmentEvent(models.Model):
    """One step of a parcel's own tracking history."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    detailed_type = models.CharField(max_length=32, choices=DetailedType.choices)
    status_date_time = models.DateTimeField()
    description = models.CharField(max_length=500, blank=True)
    location = models.CharField(max_length=255, blank=True)

    class Meta:
        # Ties on the timestamp go to the event recorded last (higher id), as on the timeline.
        ordering = ["shipment_id", "status_date_time", "id"]
        verbose_name = "shipment event"
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("detailed_type", DetailedType, blank=False),
                name="shipment_event_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["shipment", "status_date_time", "id"], name="shipment_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.detailed_type} @ {self.status_date_time}"


class ApiClientProfile(models.Model):
    """The scopes an OAuth client may ask for (DOT itself has no per-client scope list)."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
    )
    allowed_scopes = models.CharField(max_length=255, default=settings.SCOPE_READ)
    # One brand per line; empty: every brand. A limited client sees only resources of these
    # brands through the API (others are not found, or left out of lists).
    allowed_brands = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "API client scopes"
        verbose_name_plural = "API client scopes"

    def __str__(self) -> str:
        return f"{self.application} — {self.allowed_scopes}"

    @property
    def scopes(self) -> list[str]:
        return self.allowed_scopes.split()

    @property
    def brands(self) -> list[str]:
        return self.split_brands(self.allowed_brands)

    @staticmethod
    def split_brands(stored: str) -> list[str]:
        return [brand for brand in stored.split("\n") if brand]


class AccessAudit(models.Model):
    class Channel(models.TextChoices):
        CONSOLE = "console", "Agent console"
        API = "api", "API"
        ADMIN = "admin", "Admin"

    class Action(models.TextChoices):
        VIEW_CUSTOMER = "view_customer", "Viewed customer"
        VIEW_ORDER = "view_order", "Viewed order"
        CANCEL_ORDER = "cancel_order", "Canceled order"
        CHANGE_SHIPPING_ADDRESS = "change_shipping_address", "Changed shipping address"
        EXPORT_ORDERS = "export_orders", "Exported orders"
        # By kind of query and number of results, never the text typed.
        SEARCH = "search", "Searched"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who, as text that survives user deletion: "agent:alice" or "client:<client_id>".
    actor = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=32, choices=Action.choices)
    customer_external_id = models.CharField("customer id", max_length=128, blank=True)
    order_external_id = models.CharField("order id", max_length=128, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    # What a change changed: {"before": {...}, "after": {...}} (the previous and the new
    # shipping address, say). Empty for looks.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "access audit record"
        indexes = [
            models.Index(fields=["customer_external_id", "-at"], name="audit_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class IdempotencyRecord(models.Model):
    """First answer to a POST with an Idempotency-Key, replayed on retries for 24 hours."""

    key = models.CharField(max_length=255)
    client_id = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=1024)
    # SHA-256 of method, path, query and body: a key answers only the request it was made for.
    request_hash = models.CharField(max_length=64, default="")
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    # Expired keys are deleted by created_at (services.idempotency_keys_expire).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "key"], name="idempotency_key_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


# The Shopify connector's tables live beside it; importing them here registers them.
from orders.integrations.shopify.models import (  # noqa: E402, F401
    ShopifyOrder,
    ShopifyStore,
    WebhookDelivery,
)
