"""The framework line's routes: the launch, and the health probe the benchmark waits for."""

from django.http import HttpResponse
from django.urls import path

from .views import launch

urlpatterns = [
    path("customers/<slug:slug>/open-invoicing/", launch),
    path("healthz", lambda request: HttpResponse("ok")),
]
