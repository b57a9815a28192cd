from __future__ import annotations

from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from orders.console import presenters as console
from orders.models import Address, Order

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str) -> str:
    """{{ item.price|money:item.currency }} in the active language's conventions."""
    return console.money(value, currency)


@register.filter
def status_label(order: Order) -> str:
    return console.status_label(order)


@register.filter
def status_icon(order: Order) -> str:
    return console.status_icon(order)


@register.filter
def status_tone(order: Order) -> str:
    return console.status_tone(order)


@register.filter
def country_name(code: str) -> str:
    return console.country_name(code)


@register.filter
def phone_display(value: str) -> str:
    return console.phone_display(value) if value else ""


@register.filter
def cancel_reason_label(reason: str) -> str:
    return console.cancel_reason_label(reason)


@register.filter
def custom_field_facts(fields: dict) -> list[console.Fact]:
    return console.custom_field_facts(fields or {})


@register.filter
def payment_status_label(value: str) -> str:
    return console.payment_status_label(value)


@register.filter
def cancellation_facts(order: Order) -> list[console.Fact]:
    return console.cancellation_facts(order)


@register.filter
def query_kind_label(kind: str) -> str:
    return str(console.QUERY_KIND_LABELS.get(str(kind), ""))


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the sprite; decorative unless given a label."""
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="{}#{}"></use></svg>',
            label,
            static("console/icons.svg"),
            name,
        )
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        static("console/icons.svg"),
        name,
    )


@register.filter
def address_text(address: Address) -> str:
    """The address as plain lines, for the clipboard."""
    return console.address_text(address)
