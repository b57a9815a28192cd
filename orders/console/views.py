"""Agent console pages: function-based, one view per page, HTMX partials from the same view."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from orders import selectors, services
from orders.console import panels
from orders.console import presenters as console
from orders.console.forms import CancelForm, ShippingAddressForm
from orders.models import AccessAudit, Customer, Order
from orders.rules import actors
from orders.rules.ids import ID_RE

AGENT_PERMISSION = "orders.view_order"
CANCEL_PERMISSION = "orders.cancel_order"
CHANGE_ADDRESS_PERMISSION = "orders.change_shipping_address"
ORDERS_PER_PAGE = 10
MAX_PAGES = 50
MAX_QUERY = 200


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def agent_view(
    *permissions: str, methods: tuple[str, ...] = ("GET",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged in, holding every permission (403 otherwise), never cached, embeddable."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        @wraps(view)
        def signed_in(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.htmx and not request.user.is_authenticated:
                # A session that expired under a polling timeline: htmx would follow a plain
                # redirect and swap the login form into the panel. Send the whole page there.
                page = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(page).url)
            return login_required(checked)(request, *args, **kwargs)

        allowed = require_http_methods(list(methods))
        return allowed(never_cache(vary_on_headers("HX-Request")(signed_in)))

    return decorate


def agent_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A read-only console page: the Agents role, GET only."""
    return agent_view(AGENT_PERMISSION)(view)


def audit(
    request: HttpRequest, action: str, *, customer_id: str, order_id: str = "", detail: str = ""
) -> None:
    """Record that this response shows a customer's data (pages and HTMX partials alike).

    The row is written once the page has been sent: an agent's page never waits on another
    writer (a bulk import) for it. DeferredAuditMiddleware writes it, retried until stored.
    """
    request.audit_rows.append(
        services.AuditRow(
            actor=actors.agent(request.user.get_username()),
            user_id=request.user.pk,
            channel=AccessAudit.Channel.CONSOLE,
            action=action,
            customer_id=customer_id,
            order_id=order_id,
            request_id=getattr(request, "request_id", ""),
            detail=detail,
        )
    )


def audit_search(request: HttpRequest, kind: str, results: int) -> None:
    # What was looked for and how much was shown; the text typed (an email, a phone, a
    # name) stays out of the log.
    plural = "" if results == 1 else "s"
    audit(
        request,
        AccessAudit.Action.SEARCH,
        customer_id="",
        detail=f"{kind}: {results} result{plural}",
    )


def hit_url(hit: selectors.SearchHit) -> str:
    if hit.order is not None:
        return order_url(hit.order)
    return customer_url(hit.customer)


def customer_url(customer: Customer) -> str:
    return reverse("orders:customer", args=[customer.external_id])


def order_url(order: Order) -> str:
    return reverse("orders:order", args=[order.customer.external_id, order.external_id])


def search_context(raw: str) -> dict[str, Any]:
    query = selectors.search_classify(raw[:MAX_QUERY])
    hits = selectors.console_search(query) if query.kind != selectors.QueryKind.EMPTY else []
    return {
        "q": raw,
        "query": query,
        "results": [{"hit": hit, "url": hit_url(hit)} for hit in hits],
        "limit_reached": len(hits) >= selectors.SEARCH_LIMIT,
    }


@agent_page
def search(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    context = search_context(raw)
    if context["query"].kind != selectors.QueryKind.EMPTY:
        audit_search(request, context["query"].kind, len(context["results"]))
    if request.htmx:
        return render(request, "orders/search.html#results", context)
    if len(context["results"]) == 1:
        return HttpResponseRedirect(context["results"][0]["url"])
    return render(request, "orders/search.html", context)


@agent_page
def lookup(request: HtmxHttpRequest) -> HttpResponse:
    """Screen-pop deep link: one hit opens it, several list them, none says so."""
    names = ("phone", "email", "order_number", "tracking_number")
    params = {name: request.GET.get(name, "")[:MAX_QUERY] for name in names}
    # A NUL byte is no part of any of them, and PostgreSQL refuses it in a query.
    params = {name: ("" if "\x00" in value else value) for name, value in params.items()}
    given = {name: value for name, value in params.items() if value.strip()}
    hits = selectors.console_lookup(**given) if given else []
    if given:
        audit_search(request, "lookup " + "+".join(sorted(given)), len(hits))
    if len(hits) == 1:
        url = hit_url(hits[0])
        return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
    raw = next(iter(given.values()), "")
    context = {
        "q": raw,
        "query": selectors.search_classify(raw),
        "results": [{"hit": hit, "url": hit_url(hit)} for hit in hits],
        "lookup": given,
        "no_match": bool(given) and not hits,
    }
    return render(request, "orders/search.html", context)


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGES)
    except ValueError:
        return 1


@agent_page
def customer_detail(request: HtmxHttpRequest, customer_id: str) -> HttpResponse:
    if not ID_RE.match(customer_id):
        raise Http404
    customer = selectors.customer_get(customer_id=customer_id)
    if customer is None:
        raise Http404
    page = _page_number(request)
    if request.htmx:
        # "Load more": just the next page of rows.
        orders, has_more = selectors.customer_orders(
            customer=customer, offset=(page - 1) * ORDERS_PER_PAGE, limit=ORDERS_PER_PAGE
        )
        template = "orders/customer_detail.html#order-rows"
        detail = f"orders page {page}"
    else:
        # Without JavaScript the same link shows every page up to this one.
        orders, has_more = selectors.customer_orders(
            customer=customer, offset=0, limit=page * ORDERS_PER_PAGE
        )
        template = "orders/customer_detail.html"
        detail = ""
    audit(
        request, AccessAudit.Action.VIEW_CUSTOMER, customer_id=customer.external_id, detail=detail
    )
    context = {
        "customer": customer,
        "orders": orders,
        "next_page": page + 1 if has_more and page < MAX_PAGES else None,
    }
    return render(request, template, context)


def _order_or_404(customer_id: str, order_id: str) -> Order:
    if not (ID_RE.match(customer_id) and ID_RE.match(order_id)):
        raise Http404
    order = selectors.console_order_get(customer_id=customer_id, order_id=order_id)
    if order is None:
        raise Http404
    return order


def timeline_context(order: Order) -> dict[str, Any]:
    stages, unstaged = console.timeline(order, selectors.order_timeline(order=order))
    version = console.timeline_version(order)
    return {
        "order": order,
        "stages": stages,
        "unstaged_events": unstaged,
        "timeline_version": version,
        "timeline_refresh_url": order_url(order) + "?" + urlencode({"v": version}),
        "refresh_seconds": settings.ERCDASH_TIMELINE_REFRESH_SECONDS,
    }


def shipments_context(order: Order, items: list | None = None) -> dict[str, Any]:
    shipments = selectors.order_shipments(order=order)
    not_shipped = []
    if shipments:  # without parcels the panel says "nothing has shipped" and needs no items
        items = selectors.order_items(order=order) if items is None else items
        not_shipped = console.not_shipped(items, shipments)
    return {
        "order": order,
        "parcels": [console.parcel(shipment) for shipment in shipments],
        "not_shipped": not_shipped,
    }


def header_context(order: Order) -> dict[str, Any]:
    return {
        "order": order,
        "delivery_label": console.DELIVERY_LABELS.get(order.delivery_type, ""),
        "is_pickup": order.delivery_type == "LOCAL_PICKUP",
    }


def unchanged_timeline(request: HttpRequest, stamp: Order) -> HttpResponse | None:
    """No Content when the timeline refresh comes from a page that already shows this version
    (the `v` its refresh URL carries, or its ETag); None when there is something to send."""
    version = console.timeline_version(stamp)
    etag = f'"{version}"'
    if request.GET.get("v") == version or request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=HTTPStatus.NO_CONTENT)  # shows nothing: no audit
        response["ETag"] = etag
        return response
    return None


@agent_page
def order_detail(request: HtmxHttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    if request.htmx:
        # The timeline's own refresh: nothing to swap when the client already has this version,
        # which the version's own fields tell without loading the order. Most refreshes are
        # answered before reaching this view, by UnchangedTimelineMiddleware.
        if not (ID_RE.match(customer_id) and ID_RE.match(order_id)):
            raise Http404
        stamp = selectors.console_order_stamp(customer_id=customer_id, order_id=order_id)
        if stamp is None:
            raise Http404
        unchanged = unchanged_timeline(request, stamp)
        if unchanged is not None:
            return unchanged
        order = _order_or_404(customer_id, order_id)
        audit_order(request, order, "timeline")
        # The Shipments panel rides along out of band: parcels move with the timeline.
        timeline = render_to_string(
            "orders/order_detail.html#timeline", timeline_context(order), request
        )
        parcels = render_to_string(
            "orders/order_detail.html#shipments",
            {**shipments_context(order), "shipments_oob": True},
            request,
        )
        response = HttpResponse(timeline + parcels)
        response["ETag"] = f'"{console.timeline_version(order)}"'
        return response
    order = _order_or_404(customer_id, order_id)
    audit_order(request, order)
    context = {
        **header_context(order),
        "panels": panels.order_panels(order, partial(_panels, order)),
    }
    return render(request, "orders/order_detail.html", context)


def _panels(order: Order) -> str:
    items = selectors.order_items(order=order)
    context = {
        **timeline_context(order),
        **header_context(order),
        **shipments_context(order, items),
        "items": items,
        "price_lines": console.price_lines(order),
    }
    # No request: the panels are shared by every agent reading in this language, formats
    # and time zone (console.panels).
    return render_to_string("orders/order_detail.html#panels", context)


def audit_order(request: HttpRequest, order: Order, detail: str = "") -> None:
    audit(
        request,
        AccessAudit.Action.VIEW_ORDER,
        customer_id=order.customer.external_id,
        order_id=order.external_id,
        detail=detail,
    )


def _cancel_form_response(
    request: HtmxHttpRequest, order: Order, form: CancelForm, status: int = HTTPStatus.OK
) -> HttpResponse:
    context = {**header_context(order), "form": form}
    template = "orders/order_cancel.html"
    return render(
        request, template + "#cancel-form" if request.htmx else template, context, status=status
    )


def _cancel_outcome_response(
    request: HtmxHttpRequest, order: Order, *, message: str, level: str, status: int
) -> HttpResponse:
    """HTMX: the fresh header in place of the form, the timeline and the outcome out of band."""
    context = {
        **timeline_context(order),
        **header_context(order),
        "outcome": message,
        "outcome_level": level,
    }
    response = render(request, "orders/order_cancel.html#outcome", context, status=status)
    return reswap(retarget(response, "#order-header"), "outerHTML")


@agent_view(AGENT_PERMISSION, CANCEL_PERMISSION, methods=("GET", "POST"))
def order_cancel(request: HtmxHttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """Confirm with a reason, then cancel through the same service as the API and admin."""
    order = _order_or_404(customer_id, order_id)
    if request.method == "GET":
        if not order.is_cancellable and not request.htmx:
            messages.warning(request, not_cancellable_message(order))
            return HttpResponseRedirect(order_url(order), status=HTTPStatus.SEE_OTHER)
        # The form and the refusal both show the order (customer, status, total).
        audit_order(request, order, "cancel page")
        if not order.is_cancellable:
            return _cancel_outcome_response(
                request,
                order,
                message=not_cancellable_message(order),
                level="danger",
                status=HTTPStatus.UNPROCESSABLE_ENTITY,
            )
        return _cancel_form_response(request, order, CancelForm())

    form = CancelForm(request.POST)
    if not form.is_valid():
        audit_order(request, order, "cancel page")
        return _cancel_form_response(request, order, form, status=HTTPStatus.BAD_REQUEST)
    reason = form.cleaned_data["reason"]
    try:
        order = services.order_cancel(
            order=order,
            reason=reason,
            actor=actors.agent(request.user.get_username()),
            channel=AccessAudit.Channel.CONSOLE,
            user=request.user,
            request_id=getattr(request, "request_id", ""),
        )
    except services.OrderNotCancellable:
        if request.htmx:
            audit_order(request, order, "cancel page")  # the refusal shows the fresh order
        message, level, status = (
            not_cancellable_message(order),
            "danger",
            HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    else:
        message, level, status = (
            _("Order %(number)s canceled. Reason: %(reason)s.")
            % {"number": order.order_number, "reason": console.cancel_reason_label(reason)},
            "success",
            HTTPStatus.OK,
        )
    if request.htmx:
        return _cancel_outcome_response(request, order, message=message, level=level, status=status)
    messages.add_message(
        request, messages.SUCCESS if level == "success" else messages.ERROR, message
    )
    return HttpResponseRedirect(order_url(order), status=HTTPStatus.SEE_OTHER)


def not_cancellable_message(order: Order) -> str:
    if order.is_canceled:
        return _("Order %(number)s is already canceled; nothing was changed.") % {
            "number": order.order_number
        }
    return _(
        "Order %(number)s has left the warehouse and can no longer be canceled; "
        "nothing was changed."
    ) % {"number": order.order_number}


def _address_form_context(order: Order, form: ShippingAddressForm) -> dict[str, Any]:
    country = str(form["country_code"].value() or "").upper()
    region = str(form["region_code"].value() or "").upper()
    choices = console.region_choices(country)
    if region not in {code for code, _ in choices}:
        region = ""  # a region of another country (the country just changed) is no choice
    return {
        **header_context(order),
        "form": form,
        "country_choices": console.country_choices(),
        "region_choices": choices,
        "region_value": region,
        "region_error": form["region_code"].errors[0] if form["region_code"].errors else "",
    }


def _address_form_response(
    request: HtmxHttpRequest,
    order: Order,
    form: ShippingAddressForm,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    form.scrub_card_numbers()
    template = "orders/order_change_address.html"
    return render(
        request,
        template + "#address-form" if request.htmx else template,
        _address_form_context(order, form),
        status=status,
    )


def _address_outcome_response(
    request: HtmxHttpRequest, order: Order, *, message: str, level: str, status: int
) -> HttpResponse:
    """HTMX: the fresh header in place of the form; the timeline, the addresses and the
    outcome (announced by its role="status" region) out of band."""
    context = {
        **timeline_context(order),
        **header_context(order),
        "outcome": message,
        "outcome_level": level,
    }
    response = render(request, "orders/order_change_address.html#outcome", context, status=status)
    return reswap(retarget(response, "#order-header"), "outerHTML")


def _current_address_form(order: Order) -> ShippingAddressForm:
    return ShippingAddressForm(initial=services.shipping_address_values(order.shipping_address))


@agent_view(AGENT_PERMISSION, CHANGE_ADDRESS_PERMISSION, methods=("GET", "POST"))
def order_change_address(request: HtmxHttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """The new shipping address, saved through the same service as the API and admin."""
    order = _order_or_404(customer_id, order_id)
    if request.method == "GET" and request.htmx and "country_code" in request.GET:
        # The region picker following the country picker: codes and names, no personal data.
        form = ShippingAddressForm(request.GET)
        return render(
            request,
            "orders/order_change_address.html#region-field",
            _address_form_context(order, form),
        )
    if request.method == "GET":
        if not order.is_change_shipping_address_allowed and not request.htmx:
            messages.warning(request, address_not_changeable_message(order))
            return HttpResponseRedirect(order_url(order), status=HTTPStatus.SEE_OTHER)
        audit_order(request, order, "change address page")  # the form shows the address
        if not order.is_change_shipping_address_allowed:
            return _address_outcome_response(
                request,
                order,
                message=address_not_changeable_message(order),
                level="danger",
                status=HTTPStatus.UNPROCESSABLE_ENTITY,
            )
        return _address_form_response(request, order, _current_address_form(order))

    audit_order(request, order, "change address page")
    if "update_regions" in request.POST:
        # Without JavaScript the region list follows the country on this round trip:
        # the typed values come back as they were, nothing is checked or saved yet.
        typed = {name: request.POST.get(name, "") for name in ShippingAddressForm.base_fields}
        return _address_form_response(request, order, ShippingAddressForm(initial=typed))
    form = ShippingAddressForm(request.POST)
    if not form.is_valid():
        return _address_form_response(request, order, form, status=HTTPStatus.BAD_REQUEST)
    try:
        order = services.order_change_shipping_address(
            order=order,
            changes=form.cleaned_data,
            actor=actors.agent(request.user.get_username()),
            channel=AccessAudit.Channel.CONSOLE,
            user=request.user,
            request_id=getattr(request, "request_id", ""),
        )
    except services.ShippingAddressInvalid as exc:
        country = form.cleaned_data.get("country_code", "")
        for name, description in exc.problems:
            text = console.address_problem(name, description, country=country)
            form.add_error(name if name in form.fields else None, text)
        return _address_form_response(request, order, form, status=HTTPStatus.BAD_REQUEST)
    except services.ShippingAddressNotChangeable:
        message, level, status = (
            address_not_changeable_message(order),
            "danger",
            HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    else:
        message, level, status = (
            _("Order %(number)s will be sent to the new address.") % {"number": order.order_number},
            "success",
            HTTPStatus.OK,
        )
    if request.htmx:
        return _address_outcome_response(
            request, order, message=message, level=level, status=status
        )
    messages.add_message(
        request, messages.SUCCESS if level == "success" else messages.ERROR, message
    )
    return HttpResponseRedirect(order_url(order), status=HTTPStatus.SEE_OTHER)


def address_not_changeable_message(order: Order) -> str:
    if order.is_canceled:
        return _("Order %(number)s is canceled; its address was not changed.") % {
            "number": order.order_number
        }
    if order.delivery_type == "LOCAL_PICKUP":
        return _("Order %(number)s is picked up in store; it has no address to change.") % {
            "number": order.order_number
        }
    return _("Order %(number)s has left the warehouse; its address can no longer be changed.") % {
        "number": order.order_number
    }


class AgentLoginView(LoginView):
    def form_valid(self, form: forms.Form) -> HttpResponse:
        # Signing in writes the session, the last-login time and django-axes' access log,
        # some of them outside any transaction. In one short transaction they wait their
        # turn for SQLite's write lock like every other writer (ercdash.sqlite) instead of
        # SQLite's backing-off wait, which a running import could outlast. The password was
        # checked before this, outside the transaction.
        with transaction.atomic():
            return super().form_valid(form)


login = AgentLoginView.as_view(redirect_authenticated_user=True)


@require_http_methods(["GET", "HEAD"])
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages that name no icon (admin, API docs, redirects);
    # send them to the console's icon instead of a 404 in every access log.
    return HttpResponsePermanentRedirect(static("console/favicon.svg"))
