"""Admin for users, with membership of the Agents group as a column, filter and actions."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from orders import services
from orders.admin import forms

AGENTS_GROUP = forms.AGENTS_GROUP


def _agents_membership() -> Exists:
    return Exists(
        User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=AGENTS_GROUP)
    )


class AgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Agents"), ("no", "Not agents")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(is_agent=True)
        if self.value() == "no":
            return queryset.filter(is_agent=False)
        return queryset


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = forms.AgentUserChangeForm
    add_form = forms.AgentUserCreationForm
    list_display = [*DjangoUserAdmin.list_display, "is_agent", "last_login"]
    list_filter = [AgentFilter, *DjangoUserAdmin.list_filter]
    actions = ["add_to_agents", "remove_from_agents"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Permissions",
            {
                "fields": [
                    "is_active",
                    "is_agent",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "usable_password", "password1", "password2", "is_agent"],
            },
        ),
    ]

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if "is_agent" not in form.cleaned_data:
            return
        group = services.role_group(name=AGENTS_GROUP)
        if form.cleaned_data["is_agent"]:
            form.instance.groups.add(group)
        else:
            form.instance.groups.remove(group)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(is_agent=_agents_membership())

    @admin.display(description="agent", boolean=True, ordering="is_agent")
    def is_agent(self, user: User) -> bool:
        return user.is_agent

    @admin.action(description="Add selected users to Agents", permissions=["change"])
    def add_to_agents(self, request: HttpRequest, queryset: QuerySet) -> None:
        group = services.role_group(name=AGENTS_GROUP)
        users = list(queryset.filter(is_agent=False))
        group.user_set.add(*users)
        self.message_user(request, f"Added {len(users)} user(s) to {AGENTS_GROUP}.")

    @admin.action(description="Remove selected users from Agents", permissions=["change"])
    def remove_from_agents(self, request: HttpRequest, queryset: QuerySet) -> None:
        group = services.role_group(name=AGENTS_GROUP)
        users = list(queryset.filter(is_agent=True))
        group.user_set.remove(*users)
        self.message_user(request, f"Removed {len(users)} user(s) from {AGENTS_GROUP}.")
