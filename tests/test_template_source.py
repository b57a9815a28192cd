"""No template source on screen, and README screenshots that show the current pages.

Django's {# … #} comment is single-line: one spread over two lines rendered as text above the
top bar of every console page, and neither tests nor screenshots noticed. These tests render
every console page (both languages, full pages and HTMX partials) and every admin page
(iterating the admin registry, so a new model is covered when it is registered) and fail on
template syntax in the text a reader sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.urls import reverse

from orders.models import (
    AccessAudit,
    CancellationStatus,
    CancelReason,
    ShopifyStore,
    WebhookDelivery,
)
from tests import screenshot_sources

ONE_LINE_COMMENT = re.compile(r"\{#.*?#\}")
MARKERS = ("{#", "#}", "{%", "%}", "{{", "}}")
HX = {"HTTP_HX_REQUEST": "true"}
LANGUAGES = [code for code, _name in settings.LANGUAGES]


class VisibleText(HTMLParser):
    """The text nodes a browser shows: no tags, no comments, nothing inside script or style."""

    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.nodes.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.nodes)


def template_leaks(html: str) -> list[str]:
    """Each template marker in the visible text, with a little of the text around it."""
    text = visible_text(html)
    leaks = []
    for marker in MARKERS:
        start = text.find(marker)
        while start != -1:
            around = " ".join(text[max(start - 40, 0) : start + 60].split())
            leaks.append(f"{marker!r} in “…{around}…”")
            start = text.find(marker, start + 1)
    return leaks


def problems(url: str, response, status: int = HTTPStatus.OK) -> list[str]:
    """What is wrong with this page: its status, or template source among its text."""
    found = []
    if response.status_code != status:
        found.append(f"{url}: status {response.status_code}, expected {status}")
    found += [f"{url}: {leak}" for leak in template_leaks(response.content.decode())]
    return found


def test_the_check_finds_a_two_line_comment_rendered_as_text():
    page = (
        "<html><head><script>if (a) {{ b() }}</script><style>p{}</style></head><body>"
        "{# Strict CSP: no eval,\n so htmx swaps them. #}<p>Order <b>#Y34DHR</b></p>"
        "<!-- {% not shown %} --></body></html>"
    )

    assert visible_text(page) == "{# Strict CSP: no eval,\n so htmx swaps them. #}\nOrder \n#Y34DHR"
    assert [leak.split(" in ")[0] for leak in template_leaks(page)] == ["'{#'", "'#}'"]
    assert template_leaks("<p>&#123;{ name }}</p>") != []  # entities are text too


def test_no_template_opens_a_comment_it_does_not_close_on_the_same_line():
    unclosed = [
        f"{path}:{number}: {line.strip()}"
        for directory in settings.TEMPLATES[0]["DIRS"]
        for path in sorted(Path(directory).rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in ONE_LINE_COMMENT.sub("", line)
    ]

    assert unclosed == [], "{# #} is single-line: use {% comment %}…{% endcomment %}"


# --- Console ------------------------------------------------------------------------------

ORDER = ("customer123", "order123")
SHIPPED = ("customer123", "order456")
CANCELED = ("customer123", "order789")


def order_url(name: str, ids: tuple[str, str] = ORDER) -> str:
    return reverse(f"orders:{name}", args=ids)


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "get"
    data: dict = field(default_factory=dict)
    htmx: bool = False

    def send(self, client: Client, language: str):
        headers = {"HTTP_ACCEPT_LANGUAGE": language, **(HX if self.htmx else {})}
        return getattr(client, self.method)(self.url, self.data, **headers)


@dataclass(frozen=True)
class Page:
    """A request whose answer a person sees; `before` are requests that set the scene."""

    request: Request
    user: str | None = "supervisor"
    status: int = HTTPStatus.OK
    before: tuple[Request, ...] = ()


WRONG_LOGIN = Request(
    reverse("login"), "post", {"username": "supervisor", "password": "not-the-password"}
)
SEARCH = reverse("orders:search")
LOOKUP = reverse("orders:lookup")
CUSTOMER = reverse("orders:customer", args=[ORDER[0]])

CONSOLE_PAGES = {
    "search": Page(Request(SEARCH)),
    "search-results": Page(Request(SEARCH + "?q=doe")),
    "search-no-results": Page(Request(SEARCH + "?q=nobody-at-all")),
    "search-results-htmx": Page(Request(SEARCH + "?q=doe", htmx=True)),
    "search-empty-htmx": Page(Request(SEARCH + "?q=", htmx=True)),
    "lookup": Page(Request(LOOKUP)),
    "lookup-several": Page(Request(LOOKUP + "?phone=910000000")),
    "lookup-no-match": Page(Request(LOOKUP + "?email=nobody%40example.com")),
    "customer": Page(Request(CUSTOMER)),
    "customer-second-page": Page(Request(CUSTOMER + "?page=2")),
    "customer-more-htmx": Page(Request(CUSTOMER + "?page=2", htmx=True)),
    "order": Page(Request(order_url("order"))),
    "order-shipped": Page(Request(order_url("order", SHIPPED))),
    "order-canceled": Page(Request(order_url("order", CANCELED))),
    "order-timeline-htmx": Page(Request(order_url("order") + "?v=stale", htmx=True)),
    "order-after-cancel": Page(
        Request(order_url("order")),
        before=(Request(order_url("order_cancel"), "post", {"reason": "OTHER"}),),
    ),
    "cancel-form": Page(Request(order_url("order_cancel"))),
    "cancel-form-htmx": Page(Request(order_url("order_cancel"), htmx=True)),
    "cancel-without-reason-htmx": Page(
        Request(order_url("order_cancel"), "post", htmx=True), status=HTTPStatus.BAD_REQUEST
    ),
    "cancel-outcome-htmx": Page(
        Request(order_url("order_cancel"), "post", {"reason": "DUPLICATE_ORDER"}, htmx=True)
    ),
    "cancel-refused-htmx": Page(
        Request(order_url("order_cancel", SHIPPED), htmx=True),
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
    ),
    "login": Page(Request(reverse("login")), user=None),
    "login-failed": Page(WRONG_LOGIN, user=None),
    "login-locked-out": Page(
        WRONG_LOGIN,
        user=None,
        status=HTTPStatus.TOO_MANY_REQUESTS,
        before=(WRONG_LOGIN,) * (settings.AXES_FAILURE_LIMIT - 1),
    ),
    "not-found": Page(Request(reverse("orders:customer", args=["nobody"])), status=404),
    "forbidden": Page(Request(order_url("order_cancel")), user="agent", status=403),
    "api-docs": Page(Request(reverse("api-docs")), user=None),
}


def at(day: int) -> datetime:
    return datetime(2021, 9, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def console_data(make_customer, make_order) -> None:
    """Something on every part of the pages: two matching customers, a full order with
    items and a timeline, one shipped, one canceled, and a second page of orders."""
    customer = make_customer("customer123", email="john.doe@example.com")
    make_customer("customer456", first_name="Jane", email="jane.doe@example.com")
    make_order(
        ORDER[1],
        customer=customer,
        is_refunded=True,
        items=[{"name": "Trail running shoes", "sku": "TRS-42", "quantity": 1, "price": 9}],
        events=[
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED", "status_date_time": at(14)}
        ],
    )
    make_order(
        SHIPPED[1],
        customer=customer,
        events=[
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED", "status_date_time": at(14)},
            {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": at(15),
                "description": "Left the Lisbon hub",
            },
        ],
    )
    make_order(
        CANCELED[1],
        customer=customer,
        cancellation_status=CancellationStatus.CANCELED,
        cancel_reason=CancelReason.DUPLICATE_ORDER,
        canceled_at=at(16),
        canceled_by="agent:supervisor",
    )
    for number in range(10):
        make_order(f"older{number}", customer=customer)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", CONSOLE_PAGES)
def test_console_pages_show_no_template_source(
    name, language, console_data, agent_user, supervisor_user
):
    page = CONSOLE_PAGES[name]
    client = Client()
    if page.user is not None:
        client.force_login(User.objects.get(username=page.user))
    for request in page.before:
        request.send(client, language)

    response = page.request.send(client, language)

    found = problems(page.request.url, response, page.status)
    assert not found, "\n".join(found)


# --- Admin --------------------------------------------------------------------------------

REGISTERED = sorted(admin.site._registry.items(), key=lambda entry: entry[0]._meta.label)


@pytest.fixture
def one_of_each(make_order, make_shipment, api_application, bearer, admin_user) -> None:
    """A row for every model in the admin, so each change form has something to open."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    make_shipment(make_order())
    bearer(settings.SCOPE_READ)
    Group.objects.get_or_create(name="Agents")
    AccessAudit.objects.create(
        actor="agent:alice",
        channel=AccessAudit.Channel.CONSOLE,
        action=AccessAudit.Action.VIEW_ORDER,
        customer_external_id="customer123",
        order_external_id="order123",
    )
    seen = {"user_agent": "Chromium", "ip_address": "10.0.0.1", "username": "alice"}
    seen |= {"http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)
    store = ShopifyStore.objects.create(domain="casa.myshopify.com", brand="Casa", secret="s")
    WebhookDelivery.objects.create(
        store=store, topic="orders/create", webhook_id="wh-1", payload={"id": 1}
    )


def admin_urls(model, model_admin, request) -> list[str]:
    """The list, and the add, change, history and delete pages the superuser may open."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model_admin.get_queryset(request).order_by("pk").first()
    assert obj is not None, f"No {model._meta.label} to open: create one in one_of_each()"
    urls = [reverse(f"{info}_changelist")]
    if model_admin.has_add_permission(request):
        urls.append(reverse(f"{info}_add"))
    urls += [reverse(f"{info}_change", args=[obj.pk]), reverse(f"{info}_history", args=[obj.pk])]
    if model_admin.has_delete_permission(request, obj):
        urls.append(reverse(f"{info}_delete", args=[obj.pk]))
    return urls


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_admin_pages_show_no_template_source(model, model_admin, admin_client, one_of_each):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="admin")
    found = []

    for url in admin_urls(model, model_admin, request):
        found += problems(url, admin_client.get(url))

    assert not found, "\n".join(found)


def test_admin_site_pages_show_no_template_source(admin_client, one_of_each):
    admin_user = User.objects.get(username="admin")
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    urls += [
        reverse("admin:app_list", args=[label])
        for label in sorted({model._meta.app_label for model in admin.site._registry})
    ]
    urls.append(reverse("admin:auth_user_password_change", args=[admin_user.pk]))
    found = []

    for url in urls:
        found += problems(url, admin_client.get(url))
    # The one-time secret page (templates/admin/orders/), after adding an API client.
    add_client = reverse("admin:oauth2_provider_application_add")
    created = admin_client.post(add_client, {"name": "CRM bot", "scopes": [settings.SCOPE_READ]})
    found += problems(f"POST {add_client}", created)
    assert "client_secret" in created.context
    # Signed out: the admin's own login page.
    found += problems(reverse("admin:login"), Client().get(reverse("admin:login")))

    assert not found, "\n".join(found)


# --- Screenshots --------------------------------------------------------------------------


def test_the_readme_screenshots_show_the_current_templates_and_static_files():
    pictures = sorted(path.name for path in screenshot_sources.SCREENSHOTS.glob("*.png"))
    manifest = screenshot_sources.read_manifest()
    current = screenshot_sources.sources_sha256()

    stale = [name for name in pictures if manifest.get(name) != current]
    unknown = sorted(set(manifest) - set(pictures))

    assert pictures, "docs/screenshots/ has no pictures"
    assert stale == [], (
        f"{', '.join(stale)} in docs/screenshots/ show older templates or static files "
        "than the tree (docs/screenshots/SOURCES.json): run `make screenshots`"
    )
    assert unknown == [], f"SOURCES.json names screenshots that do not exist: {unknown}"
