"""Routes of the embedding app."""

from django.urls import path

from . import views

urlpatterns = [
    path("customers/<slug:slug>/open-invoicing/", views.open_invoicing, name="open_invoicing"),
]
