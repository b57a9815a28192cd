from __future__ import annotations

from http import HTTPStatus
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

PROBES = ["/healthz", "/readyz"]


@pytest.fixture
def ssl_redirect_on(settings):
    settings.SECURE_SSL_REDIRECT = True


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_touches_no_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/healthz")


def test_readyz_answers_ok_with_its_checks_in_one_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_readyz_answers_503_json_when_the_database_is_unreachable(client, db):
    refused = OperationalError('connection to server at "10.0.0.5", port 5432 failed')

    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "cache": "ok"},
    }
    assert response["Retry-After"] == "5"


def test_healthz_answers_plain_http_with_ssl_redirect_on(client, ssl_redirect_on):
    response = client.get("/healthz", secure=False)

    assert response.status_code == HTTPStatus.OK


def test_readyz_answers_plain_http_with_ssl_redirect_on(client, db, ssl_redirect_on):
    response = client.get("/readyz", secure=False)

    assert response.status_code == HTTPStatus.OK


def test_other_paths_redirect_plain_http_with_ssl_redirect_on(client, ssl_redirect_on):
    response = client.get("/erc/ecommerce/customers/c1/orders/o1", secure=False)

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "https://testserver/erc/ecommerce/customers/c1/orders/o1"


def test_probes_answer_a_load_balancer_calling_by_private_ip(client, db, settings):
    settings.ALLOWED_HOSTS = ["ercdash.example.com"]

    statuses = [client.get(path, HTTP_HOST="10.0.3.7:8000").status_code for path in PROBES]

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK]


def test_other_paths_refuse_a_host_not_allowed(client, settings):
    settings.ALLOWED_HOSTS = ["ercdash.example.com"]

    response = client.get("/erc/ecommerce/nowhere", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_probes_refuse_writes(client):
    response = client.post("/healthz")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_probes_are_routed_by_name():
    assert [reverse("healthz"), reverse("readyz")] == list(PROBES)
