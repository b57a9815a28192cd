"""URLconf for tests only: the project's routes plus API views that crash on purpose."""

from __future__ import annotations

from django.db import OperationalError
from django.urls import re_path
from rest_framework.request import Request

from ercdash.urls import urlpatterns as project_urlpatterns
from orders.api.views import ErcApiView


class CrashApi(ErcApiView):
    def get(self, request: Request) -> None:
        # Everything a careless 500 page would leak: a host, SQL and the exception's name.
        raise RuntimeError("boom at db.internal:5432 running SELECT * FROM orders_order")


class DatabaseDownApi(ErcApiView):
    def get(self, request: Request) -> None:
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')


urlpatterns = [
    re_path(r"^erc/ecommerce/test-crash$", CrashApi.as_view()),
    re_path(r"^erc/ecommerce/test-database-down$", DatabaseDownApi.as_view()),
    *project_urlpatterns,
]
