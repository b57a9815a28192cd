from django.urls import path

from orders.console import views

app_name = "orders"

urlpatterns = [
    path("", views.search, name="search"),
    path("lookup", views.lookup, name="lookup"),
    path("customers/<str:customer_id>", views.customer_detail, name="customer"),
    path("customers/<str:customer_id>/orders/<str:order_id>", views.order_detail, name="order"),
    path(
        "customers/<str:customer_id>/orders/<str:order_id>/cancel",
        views.order_cancel,
        name="order_cancel",
    ),
    path(
        "customers/<str:customer_id>/orders/<str:order_id>/change-address",
        views.order_change_address,
        name="order_change_address",
    ),
]
