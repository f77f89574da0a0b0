"""The peer's routes: its own sign-in, the launch, and the health probe the benchmark waits for."""

from django.http import HttpResponse
from django.urls import path

from .views import launch, login

urlpatterns = [
    path("accounts/login/", login),
    path("customers/<slug:slug>/open-invoicing/", launch),
    path("healthz", lambda request: HttpResponse("ok")),
]
