from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group, User
from django.urls import reverse
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from orders.admin import AccessTokenAdmin, ApiClientAdmin
from orders.models import AccessAudit, ApiClientProfile

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

READ = settings.SCOPE_READ
WRITE = settings.SCOPE_WRITE
CLIENT_ADD = reverse("admin:oauth2_provider_application_add")
TOKENS = reverse("admin:oauth2_provider_accesstoken_changelist")
USERS = reverse("admin:auth_user_changelist")
AUDIT = reverse("admin:orders_accessaudit_changelist")


# --- OAuth clients ------------------------------------------------------------------------


def test_dot_default_admins_are_replaced():
    assert isinstance(admin.site._registry[Application], ApiClientAdmin)
    assert isinstance(admin.site._registry[AccessToken], AccessTokenAdmin)
    for model in (RefreshToken, Grant, IDToken):
        assert not admin.site.is_registered(model)


def test_creating_a_client_shows_its_secret_once_and_stores_only_a_hash(admin_client):
    response = admin_client.post(CLIENT_ADD, {"name": "CRM bot", "scopes": [READ, WRITE]})

    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    secret = response.context["client_secret"]
    assert secret in response.content.decode()
    application = Application.objects.get(name="CRM bot")
    assert application.client_secret != secret
    assert check_password(secret, application.client_secret)
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert application.profile.allowed_scopes == f"{READ} {WRITE}"

    change = admin_client.get(
        reverse("admin:oauth2_provider_application_change", args=[application.pk])
    )
    assert secret not in change.content.decode()
    assert application.client_secret not in change.content.decode()


def test_a_created_clients_secret_gets_a_token_with_its_scopes(admin_client, client):
    response = admin_client.post(CLIENT_ADD, {"name": "reader", "scopes": [READ]})
    application = Application.objects.get(name="reader")
    basic = base64.b64encode(
        f"{application.client_id}:{response.context['client_secret']}".encode()
    ).decode()

    token = client.post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )

    assert token.status_code == HTTPStatus.OK
    assert token.json()["scope"] == READ


def test_client_scopes_are_checkboxes_and_editable(admin_client, api_application):
    url = reverse("admin:oauth2_provider_application_change", args=[api_application.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"name": "renamed", "scopes": [READ]})

    assert f'type="checkbox" name="scopes" value="{WRITE}"' in page.content.decode()
    assert response.status_code == HTTPStatus.FOUND
    assert ApiClientProfile.objects.get(application=api_application).allowed_scopes == READ


def test_a_client_needs_at_least_one_scope(admin_client):
    response = admin_client.post(CLIENT_ADD, {"name": "nothing"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["scopes"] == ["This field is required."]
    assert not Application.objects.exists()


def test_rotating_a_secret_shows_the_new_one_once(admin_client, api_application):
    old_hash = api_application.client_secret

    response = admin_client.post(
        reverse("admin:oauth2_provider_application_changelist"),
        {"action": "rotate_secret", "_selected_action": [api_application.pk]},
    )

    api_application.refresh_from_db()
    assert api_application.client_secret != old_hash
    assert check_password(response.context["client_secret"], api_application.client_secret)


def rotate(client, application: Application):
    return client.post(
        reverse("admin:oauth2_provider_application_changelist"),
        {"action": "rotate_secret", "_selected_action": [application.pk]},
    )


def test_view_only_staff_cannot_rotate_a_secret_to_take_over_a_client(
    staff_client, api_application, bearer
):
    bearer(READ)
    old_hash = api_application.client_secret
    viewer = staff_client("oauth2_provider.view_application")

    response = rotate(viewer, api_application)

    api_application.refresh_from_db()
    assert api_application.client_secret == old_hash
    assert "client_secret" not in (response.context or {})
    assert AccessToken.objects.count() == 1


def test_rotating_a_secret_revokes_the_tokens_got_with_the_old_one(
    admin_client, client, api_application, bearer, make_order
):
    make_order()
    auth = bearer(READ, WRITE)

    rotate(admin_client, api_application)

    response = client.get("/erc/ecommerce/customers/customer123/orders/order123", **auth)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not AccessToken.objects.filter(application=api_application).exists()


def test_narrowing_scopes_revokes_tokens_that_still_carry_the_removed_scope(
    admin_client, client, api_application, bearer
):
    auth = bearer(READ, WRITE)
    url = reverse("admin:oauth2_provider_application_change", args=[api_application.pk])

    admin_client.post(url, {"name": "test client", "scopes": [READ]})

    response = client.post(
        "/erc/ecommerce/customers/customer123/orders/order123/cancel",
        {"cancel_reason": "OTHER"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not AccessToken.objects.exists()


def test_widening_scopes_keeps_live_tokens(admin_client, api_application, bearer):
    ApiClientProfile.objects.filter(application=api_application).update(allowed_scopes=READ)
    bearer(READ)
    url = reverse("admin:oauth2_provider_application_change", args=[api_application.pk])

    admin_client.post(url, {"name": "test client", "scopes": [READ, WRITE]})

    assert AccessToken.objects.count() == 1


def test_every_admin_action_names_the_permission_it_exercises():
    unguarded = [
        f"{type(model_admin).__name__}.{name}"
        for model_admin in admin.site._registry.values()
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", ())
    ]

    assert unguarded == []


# --- Tokens -------------------------------------------------------------------------------


def test_token_list_shows_application_scope_and_expiry_but_never_the_token(admin_client, bearer):
    raw = bearer(READ)["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    token = AccessToken.objects.get()

    listing = admin_client.get(TOKENS).content.decode()
    detail = admin_client.get(
        reverse("admin:oauth2_provider_accesstoken_change", args=[token.pk])
    ).content.decode()

    assert "test client" in listing
    assert READ in listing
    for page in (listing, detail):
        assert raw not in page
        assert checksum not in page


def test_tokens_are_not_searchable_by_their_value(admin_client, bearer):
    raw = bearer(READ)["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    checksum = hashlib.sha256(raw.encode()).hexdigest()

    by_search = admin_client.get(TOKENS, {"q": raw})
    by_checksum_search = admin_client.get(TOKENS, {"q": checksum})

    assert list(by_search.context["cl"].result_list) == []
    assert list(by_checksum_search.context["cl"].result_list) == []


@pytest.mark.parametrize("lookup", ["token", "token_checksum", "token_checksum__startswith"])
def test_tokens_cannot_be_filtered_by_their_value_in_the_url(admin_client, bearer, lookup):
    raw = bearer(READ)["HTTP_AUTHORIZATION"].removeprefix("Bearer ")

    response = admin_client.get(TOKENS, {lookup: raw})

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_revoking_a_token_makes_the_api_refuse_it(admin_client, client, bearer, make_order):
    make_order()
    auth = bearer(READ)

    admin_client.post(
        TOKENS,
        {"action": "revoke_tokens", "_selected_action": [AccessToken.objects.get().pk]},
    )

    response = client.get("/erc/ecommerce/customers/customer123/orders/order123", **auth)
    assert not AccessToken.objects.exists()
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_tokens_cannot_be_added_or_edited(admin_client, bearer):
    bearer(READ)
    token = AccessToken.objects.get()
    url = reverse("admin:oauth2_provider_accesstoken_change", args=[token.pk])

    assert admin_client.get(reverse("admin:oauth2_provider_accesstoken_add")).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert admin_client.post(url, {"scope": WRITE}).status_code == HTTPStatus.FORBIDDEN


# --- Agents -------------------------------------------------------------------------------


def test_add_to_agents_action_puts_users_in_the_agents_group(admin_client):
    user = User.objects.create_user("alice")

    admin_client.post(USERS, {"action": "add_to_agents", "_selected_action": [user.pk]})

    assert user.groups.filter(name="Agents").exists()
    assert user.has_perm("orders.view_order")


def test_remove_from_agents_action_takes_users_out(admin_client, agent_user):
    admin_client.post(USERS, {"action": "remove_from_agents", "_selected_action": [agent_user.pk]})

    assert not agent_user.groups.filter(name="Agents").exists()


def test_user_list_filters_agents(admin_client, agent_user):
    User.objects.create_user("bob")

    agents = admin_client.get(USERS, {"agent": "yes"}).context["cl"].result_list
    others = admin_client.get(USERS, {"agent": "no"}).context["cl"].result_list

    assert [user.username for user in agents] == ["agent"]
    assert sorted(user.username for user in others) == ["admin", "bob"]


def test_agents_group_exists_with_view_permissions(db):
    assert Group.objects.get(name="Agents").permissions.filter(codename="view_order").exists()


# --- Access audit -------------------------------------------------------------------------


@pytest.fixture
def audit_rows(db) -> list[AccessAudit]:
    return [
        AccessAudit.objects.create(
            at=datetime(2026, 1, 5, tzinfo=UTC),
            actor="agent:alice",
            channel="console",
            action="view_order",
            customer_external_id="customer123",
            order_external_id="order123",
        ),
        AccessAudit.objects.create(
            at=datetime(2026, 2, 5, tzinfo=UTC),
            actor="client:abc",
            channel="api",
            action="view_customer",
            customer_external_id="customer456",
        ),
    ]


def test_audit_log_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, audit_rows):
    row = audit_rows[0]
    change = reverse("admin:orders_accessaudit_change", args=[row.pk])
    delete = reverse("admin:orders_accessaudit_delete", args=[row.pk])

    assert admin_client.get(reverse("admin:orders_accessaudit_add")).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert admin_client.post(change, {"actor": "nobody"}).status_code == HTTPStatus.FORBIDDEN
    assert admin_client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    row.refresh_from_db()
    assert row.actor == "agent:alice"


def test_audit_log_is_viewable_without_a_save_button_or_delete_action(admin_client, audit_rows):
    detail = admin_client.get(reverse("admin:orders_accessaudit_change", args=[audit_rows[0].pk]))
    listing = admin_client.get(AUDIT)

    assert detail.status_code == HTTPStatus.OK
    assert b'name="_save"' not in detail.content
    # No actions at all: the bulk "delete selected" is gone with the delete permission.
    assert listing.context["action_form"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel__exact": "api"}, ["client:abc"]),
        ({"action__exact": "view_order"}, ["agent:alice"]),
        ({"at__year": "2026", "at__month": "2"}, ["client:abc"]),
        ({"q": "alice"}, ["agent:alice"]),
        ({"q": "customer456"}, ["client:abc"]),
        ({"q": "order123"}, ["agent:alice"]),
    ],
)
def test_audit_log_filters_and_search(admin_client, audit_rows, params, expected):
    response = admin_client.get(AUDIT, params)

    assert [row.actor for row in response.context["cl"].result_list] == expected


# --- Framing ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/", "/admin/login/", "/admin/orders/order/"])
def test_admin_pages_refuse_to_be_framed(admin_client, url):
    response = admin_client.get(url, follow=True)

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def user_change_data(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return {**data, **overrides}


def test_agent_checkbox_on_the_user_form_adds_to_agents(admin_client):
    user = User.objects.create_user("carol")
    url = reverse("admin:auth_user_change", args=[user.pk])

    response = admin_client.post(url, user_change_data(user, is_agent="on"))

    assert response.status_code == HTTPStatus.FOUND
    assert user.groups.filter(name="Agents").exists()


def test_clearing_the_agent_checkbox_removes_from_agents(admin_client, agent_user):
    url = reverse("admin:auth_user_change", args=[agent_user.pk])

    page = admin_client.get(url)
    admin_client.post(url, user_change_data(agent_user))

    assert page.context["adminform"].form["is_agent"].value() is True
    assert not agent_user.groups.filter(name="Agents").exists()


def test_creating_a_user_as_agent(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "dave",
            "usable_password": "true",
            "password1": "a-long-password-9",
            "password2": "a-long-password-9",
            "is_agent": "on",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(username="dave").groups.filter(name="Agents").exists()
