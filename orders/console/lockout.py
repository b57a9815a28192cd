"""django-axes hooks: a limit per address on top of axes' per username and address, and the
page a locked-out sign-in gets (client_ip: ercdash.proxies)."""

from __future__ import annotations

import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off, whatever the username."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_blocked(request: HttpRequest) -> bool:
    limit = settings.ERCDASH_SIGNIN_ADDRESS_LIMIT
    return bool(limit) and address_failures(request) >= limit


class SignInAttempts(AxesDatabaseHandler):
    """axes' database handler, also blocking an address with too many failures overall.

    The per username and address limit cannot see password spraying: one password tried
    once against each of many usernames. axes compares one failure count with one limit, so
    a blocked address reports the per-user limit as its count.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_blocked(request):
            return max(failures, get_failure_limit(request, credentials))
        return failures


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 page saying when the user may sign in again (the cool-off restarts on each try)."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    seconds = max(1, math.ceil(cool_off.total_seconds()))
    by_address = address_blocked(request)
    context = {
        # A blocked address concerns every username: the page says "from this network".
        "username": "" if by_address else get_client_username(request, credentials) or "",
        "failure_limit": (
            settings.ERCDASH_SIGNIN_ADDRESS_LIMIT if by_address else settings.AXES_FAILURE_LIMIT
        ),
        "cooloff_minutes": max(1, math.ceil(seconds / 60)),
        "retry_at": timezone.now() + cool_off,
        # Back to the sign-in page that was used: admin or agent console.
        "login_url": request.path,
    }
    response = render(
        request,
        "registration/lockout.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response
