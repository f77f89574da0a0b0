"""Routes of the activity app: the webhook receiver and the company's overdue alerts."""

from django.urls import path

from tenants.services.webhooks import RECEIVER_PATH

from . import views

urlpatterns = [
    path(RECEIVER_PATH.lstrip("/"), views.webhook_receive, name="webhook_receive"),
    path(
        "customers/<slug:slug>/overdue-alerts/",
        views.overdue_alert_toggle,
        name="overdue_alert_toggle",
    ),
]
