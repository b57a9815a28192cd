"""gunicorn entry for bench/perf.py: the production app plus one bare Django JSON view.

The reference is a bare Django JSON view served by the same gunicorn. It is mounted under
the API prefix so it passes through exactly the middleware an API request does (request id
and access log, API headers, security headers, CSRF, ...). The order read now skips most of
that (orders/api/order_read.py), so the order read / bare view ratio can exceed 1.
Mounted here, not in ercdash/urls.py, so production never serves it.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")
application = get_wsgi_application()

from django.http import JsonResponse  # noqa: E402  (after Django is set up)
from django.urls import clear_url_caches, path  # noqa: E402

from ercdash import urls  # noqa: E402

BARE_PATH = "erc/ecommerce/bench/bare"


def bare(request):
    return JsonResponse({"status": "ok"})


urls.urlpatterns.insert(0, path(BARE_PATH, bare))
clear_url_caches()
