from django.urls import path

from storefront import order_views, views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<int:customer_id>/", views.workspace, name="workspace"),
    path("catalog/", views.catalog, name="catalog"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/quantity/", views.cart_update, name="cart_update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_remove, name="cart_remove"),
    path("cart/clear/", views.cart_clear, name="cart_clear"),
    path("checkout/", views.checkout_customer, name="checkout_customer"),
    path("checkout/details/", views.checkout_details, name="checkout_details"),
    path("checkout/domain-check/", views.checkout_domain_check, name="checkout_domain_check"),
    path("checkout/agreement/", views.checkout_mca, name="checkout_mca"),
    path("checkout/review/", views.checkout_review, name="checkout_review"),
    path("checkout/place/", views.checkout_place, name="checkout_place"),
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/<int:order_id>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/status/", order_views.order_status, name="order_status"),
    path("orders/<int:order_id>/check-relationship/", order_views.order_check_relationship,
         name="order_check_relationship"),
]
