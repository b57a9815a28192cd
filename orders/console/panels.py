"""The order page's panels, rendered once per order version for each language, formats and
time zone, and kept in the cache (Redis when configured, else each process's memory).

The panels (timeline, shipments, items, price, payment, custom fields, addresses) show the
order and nothing of the agent but how to read it: interface language, regional formats and
time zone, all three in the key. They are rendered without the request, so nothing else of
the agent (user, permissions, CSRF token, messages) can reach them; what does (the header's
actions, the top bar) is rendered for each request around them.

The key holds the order's `updated_at` and a digest of its stored document: every write path
refreshes both, so a cancel, a new parcel or an import shows at once. The templates' own
digest is in it too, so a deploy never serves panels of the old templates; translations or
code that shape the panels apply within PANELS_SECONDS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache

from django.core.cache import cache as default_cache
from django.template.loader import get_template
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from orders.console.locales import format_locale
from orders.models import Order

PANELS_SECONDS = 600
TEMPLATES = (
    "orders/order_detail.html",
    "orders/_event.html",
    "orders/_address.html",
    "orders/_copy_button.html",
    "orders/_custom_fields.html",
)


@cache
def _templates_digest() -> str:
    sources = [get_template(name).template.source for name in TEMPLATES]
    # Hashed static names (the icon sprite) change with a deploy as well.
    sources.append(static("console/icons.svg"))
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()[:16]


def panels_key(order: Order) -> str:
    """The cache key of the order's panels as this request's agent reads them."""
    parts = (
        str(order.pk),
        order.updated_at.isoformat() if order.updated_at else "",
        hashlib.blake2b(order.document.encode(), digest_size=16).hexdigest(),
        translation.get_language() or "",
        format_locale(),
        timezone.get_current_timezone_name(),
        _templates_digest(),
    )
    return "console:order-panels:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def order_panels(order: Order, render: Callable[[], str]) -> SafeString:
    """The cached panels of this order version, else render() them and keep them."""
    key = panels_key(order)
    html = default_cache.get(key)
    if html is None:
        html = render()
        default_cache.set(key, html, PANELS_SECONDS)
    return mark_safe(html)  # rendered by the template engine, escaped there
