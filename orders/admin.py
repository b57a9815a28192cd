"""Django admin: order data, API clients, agents and the access-audit log (SPEC §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from orders import errors, forms, services
from orders.models import (
    AccessAudit,
    Address,
    ApiClientProfile,
    CancellationStatus,
    CancelReason,
    Customer,
    Order,
    OrderItem,
    StatusEvent,
)
from orders.renderers import dumps

Application = get_application_model()
AccessToken = get_access_token_model()

AGENTS_GROUP = forms.AGENTS_GROUP

admin.site.site_header = "ercdash administration"
admin.site.site_title = "ercdash admin"
admin.site.index_title = "Orders, API clients and agents"


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


def _orders_using(address_pks: list[int]) -> list[int]:
    return list(
        Order.objects.filter(
            Q(shipping_address_id__in=address_pks) | Q(billing_address_id__in=address_pks)
        ).values_list("pk", flat=True)
    )


def _refresh_documents(order_pks: list[int]) -> None:
    # Deleting an address nulls the orders' foreign keys with an UPDATE, which skips
    # Order.save(): re-render the stored API documents that embedded it.
    if order_pks:
        services.orders_refresh_documents(orders=Order.objects.filter(pk__in=order_pks))


# --- Customers and addresses --------------------------------------------------------------


class AddressInline(admin.StackedInline):
    model = Address
    form = forms.AddressForm
    extra = 0
    fields = [
        ("external_id", "is_default"),
        ("first_name", "last_name", "phone_number"),
        "address",
        ("zip_code", "city"),
        ("region_code", "country_code"),
    ]


class PhoneSearchMixin:
    """Adds "phone typed in any format" to the admin search box."""

    phone_lookup = "phone_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = forms.normalize_phone(search_term.strip()) if search_term.strip() else None
        if phone:
            results = results | queryset.filter(**{self.phone_lookup: phone})
        return results, may_have_duplicates


@admin.register(Customer)
class CustomerAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = forms.CustomerForm
    inlines = [AddressInline]
    list_display = ["external_id", "full_name", "email", "phone_number", "brand", "customer_since"]
    list_filter = ["brand"]
    search_fields = ["=external_id", "first_name", "last_name", "=email"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        # The id is the API's key for this customer; changing it would break integrations.
        fields = list(super().get_readonly_fields(request, obj))
        return ["external_id", *fields] if obj else fields

    @admin.display(description="name", ordering="last_name")
    def full_name(self, customer: Customer) -> str:
        return customer.full_name

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        deleted = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
        affected = _orders_using(deleted) if deleted else []
        super().save_formset(request, form, formset, change)
        _refresh_documents(affected)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = forms.AddressForm
    fields = [
        "customer",
        ("external_id", "is_default"),
        ("first_name", "last_name", "phone_number"),
        "address",
        ("zip_code", "city"),
        ("region_code", "country_code"),
    ]
    autocomplete_fields = ["customer"]
    list_display = ["__str__", "customer", "external_id", "country_code", "is_default"]
    list_select_related = ["customer"]
    list_filter = ["country_code"]
    search_fields = ["=customer__external_id", "=external_id", "city", "zip_code"]
    list_per_page = 100
    show_full_result_count = False

    def delete_model(self, request: HttpRequest, obj: Address) -> None:
        affected = _orders_using([obj.pk])
        super().delete_model(request, obj)
        _refresh_documents(affected)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        affected = _orders_using(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        _refresh_documents(affected)


# --- Orders -------------------------------------------------------------------------------


# Scheme-less image URLs are read as https (Django 6's default, without the warning).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    form = forms.OrderItemForm
    formset = forms.OrderItemFormSet
    formfield_overrides = HTTPS_URLS
    extra = 0
    fields = [
        "position",
        "external_id",
        "name",
        "sku",
        "quantity",
        "price",
        "currency",
        "image_url",
        "description",
    ]


class StatusEventInline(admin.TabularInline):
    model = StatusEvent
    form = forms.StatusEventForm
    extra = 0
    fields = ["status_date_time", "generic_type", "detailed_type", "description"]
    verbose_name = "status event"
    verbose_name_plural = "status timeline (the latest event is the order's current status)"


class CancellationFilter(admin.SimpleListFilter):
    title = "cancellation"
    parameter_name = "cancellation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            ("canceled", "Canceled"),
            ("requested", "Requested, not confirmed (UNKNOWN)"),
            ("none", "Not canceled"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "canceled":
            return queryset.filter(cancellation_status=CancellationStatus.CANCELED)
        if self.value() == "requested":
            return queryset.filter(cancellation_status=CancellationStatus.UNKNOWN)
        if self.value() == "none":
            return queryset.filter(cancellation_status="")
        return queryset


class LatestStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "latest status"


def _amount(value: Decimal | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{format(value.normalize(), 'f')} {currency}".strip()


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = forms.OrderForm
    formfield_overrides = HTTPS_URLS
    action_form = forms.CancelActionForm
    inlines = [OrderItemInline, StatusEventInline]
    phone_lookup = "customer__phone_number"
    list_display = [
        "order_number",
        "external_id",
        "customer_id_display",
        "brand",
        "purchase_datetime",
        "delivery_type",
        "latest_status",
        "final_total",
        "cancellation_status",
    ]
    list_display_links = ["order_number", "external_id"]
    # One join for the customer column: a page of 100 rows is a fixed number of queries.
    list_select_related = ["customer"]
    list_filter = [
        "delivery_type",
        ("latest_generic_type", LatestStatusFilter),
        CancellationFilter,
        "brand",
    ]
    date_hierarchy = "purchase_datetime"
    search_fields = ["order_number", "=external_id", "=customer__external_id", "=customer__email"]
    search_help_text = "Order number, order id, customer id, email or phone (any format)."
    list_per_page = 100
    # COUNT(*) over every order on each page load is the slow part of big changelists.
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    actions = ["export_jsonl", "cancel_orders"]
    readonly_fields = [
        "payment_card",
        "price_check",
        "latest_status",
        "items_quantity",
        "top_item_image",
        "cancellation_status",
        "canceled_at",
        "canceled_by",
        "cancel_reason",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("external_id", "order_number"),
                    "customer",
                    ("brand", "purchase_datetime"),
                    "delivery_type",
                    ("shipping_address", "billing_address"),
                    ("items_number", "items_quantity"),
                ]
            },
        ),
        (
            "Price summary",
            {
                "fields": [
                    "currency",
                    ("original_total_amount", "discounts_amount"),
                    ("shipping_amount", "taxes_amount"),
                    "final_total_amount",
                    "price_check",
                ]
            },
        ),
        (
            "Payment",
            {
                "fields": [
                    "payment_card",
                    ("card_brand", "card_number"),
                    "card_brand_image_url",
                    "is_refunded",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "latest_status",
                    "cancellation_status",
                    ("canceled_at", "canceled_by"),
                    "cancel_reason",
                ]
            },
        ),
        (
            "Images and bookkeeping",
            {
                "classes": ["collapse"],
                "fields": [
                    "highlighted_item_image_url",
                    "top_item_image",
                    ("created_at", "updated_at"),
                ],
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        # Order ids are API keys and an order never moves to another customer (SPEC §1).
        fields = list(super().get_readonly_fields(request, obj))
        return ["external_id", "customer", *fields] if obj else fields

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Items and events just changed: the API serves derived values from cache fields.
        services.order_refresh_derived(order=form.instance)

    # Columns and read-only fields.

    @admin.display(description="customer id", ordering="customer__external_id")
    def customer_id_display(self, order: Order) -> str:
        return order.customer.external_id

    @admin.display(description="latest status", ordering="latest_generic_type")
    def latest_status(self, order: Order) -> str:
        if not order.latest_generic_type:
            return "—"
        detailed = order.latest_detailed_type
        text = order.latest_generic_type + (f" / {detailed}" if detailed else "")
        if order.latest_status_at:
            text += f" at {order.latest_status_at:%Y-%m-%d %H:%M} UTC"
        return text

    @admin.display(description="final total", ordering="final_total_amount")
    def final_total(self, order: Order) -> str:
        return _amount(order.final_total_amount, order.currency)

    @admin.display(description="card")
    def payment_card(self, order: Order) -> str:
        card = order.masked_card_number
        return f"{order.card_brand} {card}".strip() if card else "—"

    @admin.display(description="check")
    def price_check(self, order: Order) -> str:
        values = order.amounts()
        expected = forms.money_total(values)
        final = values["final_total_amount"]
        if expected is None or final is None:
            return "—"
        currency = order.currency
        arithmetic = (
            f"{_amount(values['original_total_amount'], currency)}"
            f" − {_amount(values['discounts_amount'] or Decimal(0), currency)}"
            f" + {_amount(values['shipping_amount'] or Decimal(0), currency)}"
            f" + {_amount(values['taxes_amount'] or Decimal(0), currency)}"
            f" = {_amount(expected, currency)}"
        )
        if expected == final:
            return f"✔ {arithmetic}"
        return format_html(
            "<strong>⚠ Mismatch:</strong> {} but the final total is {}",
            arithmetic,
            _amount(final, currency),
        )

    @admin.display(description="items quantity (sum of items)")
    def items_quantity(self, order: Order) -> str:
        quantity = order.derived_items_quantity
        return "—" if quantity is None else str(quantity)

    @admin.display(description="image of the priciest item")
    def top_item_image(self, order: Order) -> str:
        return order.derived_top_item_image_url or "—"

    # Actions.

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    @admin.action(description="Export selected orders as JSON Lines", permissions=["view"])
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse:
        count = queryset.count()
        services.audit_record(
            actor=_actor(request),
            channel=AccessAudit.Channel.ADMIN,
            action=AccessAudit.Action.EXPORT_ORDERS,
            user=request.user,
            request_id=_request_id(request),
            detail=f"{count} order{'s' if count != 1 else ''}",
        )
        # The export_orders document format, sorted by order id like the command's output.
        lines = (
            dumps(document) + b"\n"
            for document in services.orders_export(orders=queryset.order_by())
        )
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.jsonl"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        reason = request.POST.get("cancel_reason", "")
        if reason not in CancelReason.values:
            self.message_user(
                request,
                "Nothing canceled: pick a cancel reason next to the action first.",
                messages.ERROR,
            )
            return
        canceled, skipped = [], []
        for order in queryset.select_related("customer").order_by("pk"):
            try:
                services.order_cancel(
                    order=order,
                    reason=reason,
                    actor=_actor(request),
                    channel=AccessAudit.Channel.ADMIN,
                    user=request.user,
                    request_id=_request_id(request),
                )
            except errors.NotCancellable:
                skipped.append(order.order_number)
            else:
                canceled.append(order.order_number)
        if canceled:
            self.message_user(
                request,
                f"Canceled {len(canceled)} order{'s' if len(canceled) != 1 else ''} "
                f"({CancelReason(reason).label}): " + ", ".join(canceled),
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Skipped {len(skipped)} order{'s' if len(skipped) != 1 else ''} already "
                "canceled or already shipped: " + ", ".join(skipped),
                messages.WARNING,
            )


# --- OAuth clients and tokens -------------------------------------------------------------

for model in (
    Application,
    AccessToken,
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    # DOT's own admin shows redirect URIs, grant types and token rows we do not use; the
    # API only issues client-credentials access tokens, managed below.
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ApiClientAdmin(admin.ModelAdmin):
    form = forms.ApiClientForm
    list_display = ["name", "client_id", "allowed_scopes", "created"]
    list_select_related = ["profile"]
    search_fields = ["name", "=client_id"]
    actions = ["rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["name", "scopes"]
        return ["name", "client_id", "scopes", "created", "updated"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["client_id", "created", "updated"] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
        )

    @admin.display(description="allowed scopes")
    def allowed_scopes(self, application: Any) -> str:
        profile = getattr(application, "profile", None)
        return profile.allowed_scopes if profile else "—"

    def save_model(self, request: HttpRequest, obj: Any, form, change: bool) -> None:
        if not change:
            # DOT hashes client_secret on save: keep the plaintext to show it once.
            secret = generate_client_secret()
            obj.client_secret = secret
            obj.hash_client_secret = True
            request._ercdash_client_secret = secret
        super().save_model(request, obj, form, change)
        chosen = set(form.cleaned_data["scopes"])
        ordered = [name for name in settings.OAUTH2_PROVIDER["SCOPES"] if name in chosen]
        ApiClientProfile.objects.update_or_create(
            application=obj, defaults={"allowed_scopes": " ".join(ordered)}
        )

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue=None):
        secret = getattr(request, "_ercdash_client_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, secret, created=True)

    def _secret_page(self, request: HttpRequest, obj: Any, secret: str, *, created: bool):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API client created" if created else "New client secret",
            "application": obj,
            "client_secret": secret,
            "created": created,
        }
        response = TemplateResponse(request, "admin/orders/api_client_secret.html", context)
        # The plaintext secret lives only in this response: keep it out of every cache.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Generate a new secret (the old one stops working)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one client to rotate.", messages.ERROR)
            return None
        application = queryset.get()
        secret = generate_client_secret()
        application.client_secret = secret
        application.save(update_fields=["client_secret", "updated"])
        return self._secret_page(request, application, secret, created=False)


admin.site.register(Application, ApiClientAdmin)


class AccessTokenAdmin(admin.ModelAdmin):
    # Tokens are stored as checksums and must never be shown or searchable: only who holds
    # them, what they allow and when they expire.
    list_display = ["__str__", "application", "scope", "expires", "created"]
    list_select_related = ["application"]
    list_filter = ["application"]
    search_fields = ["application__name", "=application__client_id"]
    fields = ["application", "scope", "expires", "created"]
    readonly_fields = fields
    actions = ["revoke_tokens"]
    date_hierarchy = "expires"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # ?token=… or ?token_checksum=… in the URL would make the list an oracle for
        # guessed tokens (and put a live token into access logs).
        if lookup.split("__")[0] in {"token", "token_checksum", "id_token"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("oauth2_provider.delete_accesstoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for token in queryset:
            revoke_access_token(token)
            count += 1
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.")


admin.site.register(AccessToken, AccessTokenAdmin)


# --- Agents -------------------------------------------------------------------------------


def _agents_membership() -> Exists:
    return Exists(
        User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=AGENTS_GROUP)
    )


class AgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Agents"), ("no", "Not agents")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(is_agent=True)
        if self.value() == "no":
            return queryset.filter(is_agent=False)
        return queryset


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = forms.AgentUserChangeForm
    add_form = forms.AgentUserCreationForm
    list_display = [*DjangoUserAdmin.list_display, "is_agent", "last_login"]
    list_filter = [AgentFilter, *DjangoUserAdmin.list_filter]
    actions = ["add_to_agents", "remove_from_agents"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Permissions",
            {
                "fields": [
                    "is_active",
                    "is_agent",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "usable_password", "password1", "password2", "is_agent"],
            },
        ),
    ]

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if "is_agent" not in form.cleaned_data:
            return
        group = Group.objects.get(name=AGENTS_GROUP)
        if form.cleaned_data["is_agent"]:
            form.instance.groups.add(group)
        else:
            form.instance.groups.remove(group)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(is_agent=_agents_membership())

    @admin.display(description="agent", boolean=True, ordering="is_agent")
    def is_agent(self, user: User) -> bool:
        return user.is_agent

    @admin.action(description="Add selected users to Agents", permissions=["change"])
    def add_to_agents(self, request: HttpRequest, queryset: QuerySet) -> None:
        group = Group.objects.get(name=AGENTS_GROUP)
        users = list(queryset.filter(is_agent=False))
        group.user_set.add(*users)
        self.message_user(request, f"Added {len(users)} user(s) to {AGENTS_GROUP}.")

    @admin.action(description="Remove selected users from Agents", permissions=["change"])
    def remove_from_agents(self, request: HttpRequest, queryset: QuerySet) -> None:
        group = Group.objects.get(name=AGENTS_GROUP)
        users = list(queryset.filter(is_agent=True))
        group.user_set.remove(*users)
        self.message_user(request, f"Removed {len(users)} user(s) from {AGENTS_GROUP}.")


# --- Access audit -------------------------------------------------------------------------


@admin.register(AccessAudit)
class AccessAuditAdmin(admin.ModelAdmin):
    # Evidence of who saw which personal data: nobody edits or deletes it, superusers included.
    list_display = [
        "at",
        "actor",
        "channel",
        "action",
        "customer_external_id",
        "order_external_id",
        "request_id",
        "detail",
    ]
    list_filter = ["channel", "action", "at"]
    date_hierarchy = "at"
    search_fields = ["actor", "=customer_external_id", "=order_external_id", "=request_id"]
    search_help_text = "Actor (agent:alice, client:…, admin:bob), customer id or order id."
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
