"""Admin for customers and their addresses, and the phone search the order list shares."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.admin import forms
from orders.models import Address, Customer, Order
from orders.rules import phones


def _orders_using(address_pks: list[int]) -> list[int]:
    return list(services.orders_embedding(addresses=address_pks).values_list("pk", flat=True))


def _refresh_documents(order_pks: list[int]) -> None:
    # Orders embed their addresses in their stored API documents.
    if order_pks:
        services.orders_refresh_documents(orders=Order.objects.filter(pk__in=order_pks))


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
        term = search_term.strip()
        phone = phones.to_e164(term, settings.ERCDASH_DEFAULT_PHONE_REGION) if term else None
        if phone:
            results = results | queryset.filter(**{self.phone_lookup: phone})
        return results, may_have_duplicates


@admin.register(Customer)
class CustomerAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = forms.CustomerForm
    inlines = [AddressInline]
    fields = [
        "external_id",
        ("first_name", "last_name"),
        ("email", "phone_number"),
        ("brand", "customer_since"),
        "custom_fields",
        ("created_at", "updated_at"),
    ]
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
        # Deleting an address nulls the orders' foreign keys, so find them before the save.
        deleted = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
        affected = _orders_using(deleted) if deleted else []
        super().save_formset(request, form, formset, change)
        changed = [address.pk for address, _ in formset.changed_objects]
        _refresh_documents(sorted({*affected, *(_orders_using(changed) if changed else [])}))


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

    def save_model(self, request: HttpRequest, obj: Address, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            _refresh_documents(_orders_using([obj.pk]))

    def delete_model(self, request: HttpRequest, obj: Address) -> None:
        affected = _orders_using([obj.pk])
        super().delete_model(request, obj)
        _refresh_documents(affected)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        affected = _orders_using(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        _refresh_documents(affected)
