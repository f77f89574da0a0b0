"""End-customer routes of the tenants app."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<slug:slug>/", views.customer_detail, name="customer"),
    path("customers/<slug:slug>/team/add/", views.team_add, name="team_add"),
    path("customers/<slug:slug>/team/<int:member_id>/role/", views.team_role, name="team_role"),
    path(
        "customers/<slug:slug>/team/<int:member_id>/remove/", views.team_remove, name="team_remove"
    ),
]
