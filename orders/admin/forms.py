"""Admin forms. Every rule is a field error: bad input re-renders the form, never a 500.

A full payment card number is never stored and never echoed: a field whose submitted value
holds one is cleared in the bound data before the form is shown again (PCI DSS 3.4.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from oauth2_provider.models import get_application_model

from orders import services
from orders.documents.fields import ADDRESS_VALUE_FIELDS
from orders.models import (
    Address,
    ApiClientProfile,
    CancelReason,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
    StatusEvent,
)
from orders.rules import addresses, cards, custom_fields, money, phones, shipments, statuses

Application = get_application_model()
AGENTS_GROUP = "Agents"

AMOUNT_FIELDS = money.AMOUNT_FIELDS


def https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Form fields for model fields, with scheme-less URLs read as https (Django 6 default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _show_amounts_in_currency(form: forms.Form, names: Iterable[str], currency: str) -> None:
    # Stored with 3 decimals for every currency; show 10.50 EUR and 1000 JPY, not 10.500.
    exponent = money.currency_exponent(currency)
    step = Decimal(1).scaleb(-exponent)
    for name in names:
        value = form.initial.get(name)
        if isinstance(value, Decimal) and value == value.quantize(step):
            form.initial[name] = value.quantize(step)


class CardSafeFormMixin:
    """Rejects full card numbers in free text and keeps them out of the re-rendered form."""

    # Free-text fields checked for card numbers. Ids, order numbers, phones and zip codes
    # legitimately hold long digit runs and are left alone.
    free_text_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.free_text_fields:
            if name in self.fields:
                self.fields[name].validators.append(cards.validate_no_card_number)

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        # Scrub every failed field whose raw value holds a card number, whatever the error:
        # the page must not carry the digits back to the browser.
        scrubbed = None
        for name in self._errors:
            if name not in self.fields:
                continue
            key = self.add_prefix(name)
            if cards.contains_full_card_number(str(self.data.get(key, ""))):
                if scrubbed is None:
                    scrubbed = self.data.copy()
                scrubbed[key] = ""
        if scrubbed is not None:
            self.data = scrubbed


CUSTOM_FIELDS_HELP = (
    'A JSON object of the source\'s own key/value pairs, e.g. {"tier": "gold"}: at most '
    f"{custom_fields.MAX_FIELDS} keys, values text (at most {custom_fields.MAX_TEXT} "
    "characters), numbers or true/false. No full card numbers."
)


def clean_custom_fields(value: Any) -> dict[str, Any]:
    return custom_fields.validate(value or {})


class CustomerForm(CardSafeFormMixin, forms.ModelForm):
    # An email address is typed text too; a card number in it is no more welcome.
    free_text_fields = ("first_name", "last_name", "email", "brand")

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "first_name",
            "last_name",
            "email",
            "phone_number",
            "brand",
            "customer_since",
            "custom_fields",
        ]
        help_texts = {
            "phone_number": "Any common format; stored as E.164 (+351910000000).",
            "custom_fields": CUSTOM_FIELDS_HELP,
        }

    def clean_custom_fields(self) -> dict[str, Any]:
        return clean_custom_fields(self.cleaned_data.get("custom_fields"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Validated after normalisation in clean_phone_number, not by the model's E.164 regex.
        self.fields["phone_number"].validators = []

    def clean_phone_number(self) -> str:
        value = self.cleaned_data["phone_number"].strip()
        if not value:
            return ""
        # National numbers are read in the configured region, as the console search reads them.
        return phones.normalize_phone(value, settings.ERCDASH_DEFAULT_PHONE_REGION)


class AddressForm(CardSafeFormMixin, forms.ModelForm):
    free_text_fields = ("first_name", "last_name", "address", "city")
    # The phone is no free text, but the rules of phones decide what it may hold: a number
    # it cannot read (a card number, say) is refused, not kept verbatim.

    class Meta:
        model = Address
        # The address's own values are the order document's address fields.
        fields = ["external_id", *ADDRESS_VALUE_FIELDS, "is_default"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The address rules every face shares (rules.addresses). A national phone number is
        # read in the address's own country, else in the configured region (as the console
        # search reads numbers). A field that already failed keeps its first error only.
        values = {name: cleaned.get(name) for name in ADDRESS_VALUE_FIELDS}
        normalized, problems = addresses.check(
            values, fallback_phone_region=settings.ERCDASH_DEFAULT_PHONE_REGION
        )
        failed = set(self.errors)
        for name, description in problems:
            if name not in failed and name in self.fields:
                self.add_error(name, description)
                failed.add(name)
        for name in ("phone_number", "zip_code"):
            if name not in failed and name in cleaned:
                cleaned[name] = normalized.get(name, cleaned[name])
        return cleaned

    def clean_region_code(self) -> str:
        return self.cleaned_data["region_code"].strip().upper()

    def clean_country_code(self) -> str:
        return self.cleaned_data["country_code"].strip().upper()


class OrderForm(CardSafeFormMixin, forms.ModelForm):
    # URLs are stored and served, so a card number in one is as unwelcome as in a name.
    free_text_fields = (
        "brand",
        "card_brand",
        "card_brand_image_url",
        "highlighted_item_image_url",
        "status",
        "payment_status",
    )

    card_number = forms.CharField(
        label="Card number",
        required=False,
        max_length=64,
        help_text="Last four digits only, optionally masked: 4567 or **** **** **** 4567.",
    )

    class Meta:
        model = Order
        formfield_callback = https_urls
        fields = [
            "external_id",
            "order_number",
            "customer",
            "brand",
            "purchase_datetime",
            "delivery_type",
            "shipping_address",
            "billing_address",
            "items_number",
            "currency",
            *AMOUNT_FIELDS,
            "card_brand",
            "card_brand_image_url",
            "card_number",
            "is_refunded",
            "total_refunded_amount",
            "payment_status",
            "status",
            "highlighted_item_image_url",
            "custom_fields",
        ]
        help_texts = {
            "payment_status": "As the source gives it; stored upper-case (PAID, "
            "PARTIALLY_REFUNDED, ...).",
            "total_refunded_amount": "Sum of the refunds, when the source reports them.",
            "custom_fields": CUSTOM_FIELDS_HELP,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.card_last4:
            self.initial.setdefault("card_number", self.instance.masked_card_number)
        self.fields["currency"].validators.append(money.validate_currency)
        # Offer only the chosen customer's addresses (the customer picked in this very POST
        # when adding), which also keeps the choice list small.
        customer_id = self.data.get(self.add_prefix("customer")) if self.is_bound else None
        customer_id = customer_id or self.instance.customer_id
        for name in ("shipping_address", "billing_address"):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = (
                    Address.objects.filter(customer_id=customer_id)
                    if str(customer_id or "").isdigit()
                    else Address.objects.none()
                )
                field.help_text = (
                    "One of this customer's addresses."
                    if self.instance.customer_id
                    else "Save the order first: then the customer's addresses are offered here."
                )
        _show_amounts_in_currency(
            self, (*AMOUNT_FIELDS, "total_refunded_amount"), self.instance.currency
        )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_payment_status(self) -> str:
        return statuses.payment_status(self.cleaned_data["payment_status"])

    def clean_custom_fields(self) -> dict[str, Any]:
        return clean_custom_fields(self.cleaned_data.get("custom_fields"))

    def clean_card_number(self) -> str:
        value = self.cleaned_data["card_number"].strip()
        return cards.card_last4(value) if value else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        currency = cleaned.get("currency", "")
        amounts = {name: cleaned.get(name) for name in AMOUNT_FIELDS if name in cleaned}
        present = {name: value for name, value in amounts.items() if value is not None}
        if present and not currency and "currency" not in self.errors:
            self.add_error("currency", "Required when the order has amounts.")
        for name, value in present.items():
            try:
                money.validate_amount(value, currency or "XXX")
            except ValidationError as error:
                self.add_error(name, error)
        if present:
            for name in ("original_total_amount", "final_total_amount"):
                if name in amounts and amounts[name] is None:
                    self.add_error(name, "Required when the order has a price summary.")
        refunded = cleaned.get("total_refunded_amount")
        if refunded is not None:
            final = cleaned.get("final_total_amount")
            try:
                money.validate_amount(refunded, currency or "XXX")
            except ValidationError as error:
                self.add_error("total_refunded_amount", error)
            else:
                if final is None or refunded > final:
                    self.add_error("total_refunded_amount", "Must not exceed the final total.")
        customer = cleaned.get("customer")
        customer_pk = customer.pk if customer is not None else self.instance.customer_id
        for name in ("shipping_address", "billing_address"):
            address = cleaned.get(name)
            if address is not None and customer_pk and address.customer_id != customer_pk:
                self.add_error(name, "This address belongs to another customer.")
        if self.shipping_address_changed and "shipping_address" not in self.errors:
            self._check_shipping_address_change(cleaned.get("shipping_address"))
        return cleaned

    @property
    def shipping_address_changed(self) -> bool:
        """A saved order sent to another address: the change-shipping-address service's
        business (OrderAdmin.save_model), with its state rule, address rules and audit."""
        return bool(self.instance.pk) and "shipping_address" in self.changed_data

    def _check_shipping_address_change(self, address: Address | None) -> None:
        order = self.instance
        if not order.is_change_shipping_address_allowed:
            self.add_error("shipping_address", shipping_address_refusal(order))
        elif address is None:
            self.add_error("shipping_address", "An order that may still ship needs an address.")
        else:
            try:
                services.shipping_address_proposal(current=address, changes={})
            except services.ShippingAddressInvalid as exc:
                problems = "; ".join(f"{name}: {text}" for name, text in exc.problems)
                self.add_error(
                    "shipping_address",
                    f"This address cannot be shipped to ({problems}). Fix it on the customer "
                    "first.",
                )

    def save(self, commit: bool = True) -> Order:
        self.instance.card_last4 = self.cleaned_data.get("card_number", "")
        return super().save(commit=commit)


def shipping_address_refusal(order: Order) -> str:
    """Why the order's shipping address may not change, as the admin says it."""
    if order.is_canceled:
        why = "the order is canceled"
    elif order.delivery_type == "LOCAL_PICKUP":
        why = "the order is picked up in store"
    else:
        why = "the order has shipped, or part of it is in a parcel"
    return (
        f"The shipping address can no longer change: {why}. Only orders not canceled, with "
        "nothing shipped and not picked up in store can be sent elsewhere."
    )


class OrderItemForm(CardSafeFormMixin, forms.ModelForm):
    # A SKU is the shop's free text, not one of the ids, order numbers, phones or zip codes
    # that may hold long digit runs.
    free_text_fields = ("name", "sku", "image_url", "description")

    class Meta:
        model = OrderItem
        formfield_callback = https_urls
        fields = [
            "external_id",
            "position",
            "name",
            "sku",
            "quantity",
            "price",
            "currency",
            "image_url",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args: Any, parent_order: Order | None = None, **kwargs: Any) -> None:
        # The order being edited, with the currency just submitted (unsaved when adding).
        self.parent_order = parent_order
        super().__init__(*args, **kwargs)
        quantity = self.fields["quantity"]
        quantity.min_value, quantity.max_value = 1, 100
        quantity.validators += [MinValueValidator(1), MaxValueValidator(100)]
        quantity.widget.attrs.update(min=1, max=100)
        self.fields["currency"].required = False
        self.fields["currency"].help_text = "Blank = the order's currency."
        _show_amounts_in_currency(self, ["price"], self.instance.currency)

    def _order_currency(self) -> str:
        order = self.parent_order
        if order is None:
            try:
                order = self.instance.order
            except Order.DoesNotExist:
                return ""
        return order.currency or ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        order_currency = self._order_currency()
        currency = (cleaned.get("currency") or "").strip().upper() or order_currency
        if "currency" not in self.errors:
            if not currency:
                self.add_error("currency", "Set the order's currency or the item's.")
            elif not money.is_currency(currency):
                self.add_error("currency", money.CURRENCY_DESCRIPTION)
            elif order_currency and currency != order_currency:
                self.add_error(
                    "currency",
                    f"An order has one currency: items must be in {order_currency}, "
                    f"not {currency}.",
                )
            else:
                cleaned["currency"] = currency
                self.instance.currency = currency
        quantity = cleaned.get("quantity")
        if self.instance.pk is not None and quantity is not None:
            shipped = sum(self.instance.shipment_lines.values_list("quantity", flat=True))
            if quantity < shipped:
                self.add_error(
                    "quantity",
                    f"{shipped} of this item are in the order's shipments: change those first.",
                )
        price = cleaned.get("price")
        if price is not None and currency and "currency" not in self.errors:
            try:
                money.validate_amount(price, currency)
            except ValidationError as error:
                self.add_error("price", error)
        return cleaned


class ShipmentForm(CardSafeFormMixin, forms.ModelForm):
    """A parcel's own fields; its items and history are inlines of the shipment's page."""

    free_text_fields = ("carrier", "service_level")

    class Meta:
        model = Shipment
        formfield_callback = https_urls
        fields = [
            "external_id",
            "position",
            "carrier",
            "tracking_number",
            "tracking_url",
            "service_level",
            "shipping_date",
            "delivery_date_start",
            "delivery_date_end",
        ]
        help_texts = {
            "tracking_url": "https only. Leave empty: the carrier's page is linked when the "
            "carrier data set knows the carrier and the number.",
            "tracking_number": "Spaces are removed.",
        }

    def clean_tracking_number(self) -> str:
        value = shipments.normalize_tracking_number(self.cleaned_data["tracking_number"])
        if value:
            shipments.validate_tracking_number(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        url = cleaned.get("tracking_url")
        if url:
            try:
                shipments.validate_tracking_url(url, cleaned.get("tracking_number") or "")
            except ValidationError as error:
                self.add_error("tracking_url", error)
        try:
            shipments.validate_delivery_window(
                cleaned.get("delivery_date_start"), cleaned.get("delivery_date_end")
            )
        except ValidationError as error:
            self.add_error("delivery_date_end", error)
        return cleaned


class ShipmentItemForm(forms.ModelForm):
    class Meta:
        model = ShipmentItem
        fields = ["item", "quantity"]

    def __init__(self, *args: Any, parent_shipment: Shipment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quantity = self.fields["quantity"]
        quantity.min_value, quantity.max_value = 1, 100
        quantity.validators += [MinValueValidator(1), MaxValueValidator(100)]
        quantity.widget.attrs.update(min=1, max=100)
        # Only the items of the parcel's own order can travel in it.
        order_id = parent_shipment.order_id if parent_shipment is not None else None
        self.fields["item"].queryset = (
            OrderItem.objects.filter(order_id=order_id) if order_id else OrderItem.objects.none()
        )


class ShipmentItemFormSet(forms.BaseInlineFormSet):
    """Never more of an item in all the order's parcels than was ordered."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "parent_shipment": self.instance}

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.order_id is None:
            return
        lines = [
            form
            for form in self.forms
            if form.cleaned_data.get("item") and not form.cleaned_data.get("DELETE")
        ]
        # What the order's other parcels already hold.
        elsewhere = ShipmentItem.objects.filter(shipment__order_id=self.instance.order_id)
        if self.instance.pk is not None:
            elsewhere = elsewhere.exclude(shipment=self.instance)
        shipped = [(line.item_id, line.quantity) for line in elsewhere]
        shipped += [(form.cleaned_data["item"].pk, form.cleaned_data["quantity"]) for form in lines]
        ordered = dict(
            OrderItem.objects.filter(order_id=self.instance.order_id).values_list("pk", "quantity")
        )
        too_many = shipments.over_shipped(ordered, shipped)
        for form in lines:
            item_id = form.cleaned_data["item"].pk
            if item_id in too_many:
                form.add_error("quantity", shipments.over_shipped_description(*too_many[item_id]))


class ShipmentEventForm(CardSafeFormMixin, forms.ModelForm):
    free_text_fields = ("description", "location")

    class Meta:
        model = ShipmentEvent
        fields = ["status_date_time", "detailed_type", "description", "location"]


class OrderItemFormSet(forms.BaseInlineFormSet):
    """Hands the parent order to each item form so items can be checked against its currency."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "parent_order": self.instance}


class StatusEventForm(CardSafeFormMixin, forms.ModelForm):
    free_text_fields = ("description",)

    class Meta:
        model = StatusEvent
        fields = ["generic_type", "detailed_type", "status_date_time", "description"]


def scope_choices() -> list[tuple[str, str]]:
    return [
        (name, f"{name} — {description}")
        for name, description in settings.OAUTH2_PROVIDER["SCOPES"].items()
    ]


class ApiClientForm(CardSafeFormMixin, forms.ModelForm):
    """An OAuth client-credentials client and the scopes it may ask for."""

    free_text_fields = ("name",)

    scopes = forms.MultipleChoiceField(
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The most a token of this client may carry; asking for none grants all these.",
    )
    brands = forms.CharField(
        required=False,
        help_text="Limit the client to these brands, comma-separated (e.g. Casa Lisboa, Porto "
        "Home): orders and customers of any other brand, or of none, are not found. Empty: "
        "every brand.",
    )

    class Meta:
        model = Application
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        if self.instance.pk is None:
            # The API only speaks client credentials; set before model validation.
            self.instance.client_type = Application.CLIENT_CONFIDENTIAL
            self.instance.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
            profile = None
        else:
            profile = ApiClientProfile.objects.filter(application_id=self.instance.pk).first()
        self.initial.setdefault("scopes", profile.scopes if profile else [settings.SCOPE_READ])
        self.initial.setdefault("brands", ", ".join(profile.brands) if profile else "")

    def clean_brands(self) -> list[str]:
        return services.parse_brands(self.cleaned_data["brands"])


class AgentFlagMixin(forms.Form):
    """An "Agent" checkbox on the user forms: membership of the Agents group."""

    is_agent = forms.BooleanField(
        label="Agent",
        required=False,
        help_text="Can sign in to the agent console at /accounts/login/ and read orders "
        "(membership of the Agents group; this box wins over the group list below).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.instance
        if user.pk is not None:
            self.initial["is_agent"] = user.groups.filter(name=AGENTS_GROUP).exists()


class AgentUserChangeForm(AgentFlagMixin, UserChangeForm):
    pass


class AgentUserCreationForm(AgentFlagMixin, AdminUserCreationForm):
    pass


class CancelActionForm(ActionForm):
    """The order list's action bar, plus the reason the cancel action records."""

    cancel_reason = forms.ChoiceField(
        label="Cancel reason:",
        required=False,
        choices=[("", "— reason (for cancel) —"), *CancelReason.choices],
    )
