"""django-axes hook: the page a locked-out sign-in gets (client_ip: ercdash.proxies)."""

from __future__ import annotations

import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 page saying when the user may sign in again (the cool-off restarts on each try)."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    seconds = max(1, math.ceil(cool_off.total_seconds()))
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
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
