"""Load-balancer probes: /healthz (the process answers) and /readyz (it can serve traffic)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from ercdash.routers import REPLICA_DB_ALIAS
from orders.api.errors import RETRY_AFTER_SECONDS

logger = logging.getLogger("ercdash.health")


def _probe_response(body: dict, status: int = HTTPStatus.OK) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    # Liveness only: touching the database here would make an outage restart every app server.
    return _probe_response({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"database": _database_check(DEFAULT_DB_ALIAS)}
    if REPLICA_DB_ALIAS in settings.DATABASES:
        checks["replica"] = _database_check(REPLICA_DB_ALIAS)
    checks["cache"] = _cache_check()
    # A cache outage degrades rate limits and sessions but the app still serves: stay ready.
    if "unavailable" in (checks["database"], checks.get("replica")):
        response = _probe_response(
            {"status": "unavailable", "checks": checks}, HTTPStatus.SERVICE_UNAVAILABLE
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _probe_response({"status": "ok", "checks": checks})


def _database_check(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Readiness probe: database %s is unreachable", alias, exc_info=True)
        return "unavailable"
    return "ok"


def _cache_check() -> str:
    # django-redis swallows connection errors (IGNORE_EXCEPTIONS), so a miss means "down".
    try:
        cache.set("ercdash:readyz", "ok", timeout=10)
        if cache.get("ercdash:readyz") == "ok":
            return "ok"
    except Exception:  # any backend error: report it, never fail the probe on it
        logger.warning("Readiness probe: the cache is unreachable", exc_info=True)
    return "degraded"


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    """Answer the probes before Host validation and the TLS redirect.

    Load balancers probe each instance by its private IP over plain HTTP; that Host is not in
    ALLOWED_HOSTS and the request is not HTTPS, yet the probe must reach the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
