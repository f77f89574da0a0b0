"""Onboarding emails: a new member sets their own password through a branded link; an
existing one is told which company they were added to."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenants.models import Customer, User


def welcome_email_send(*, user: User, customer: Customer) -> None:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "brand_name": settings.PORTAL_BRAND_NAME,
        "support_email": settings.PORTAL_SUPPORT_EMAIL,
        "customer": customer,
        "link": settings.PORTAL_BASE_URL.rstrip("/") + path,
    }
    send_mail(
        subject=f"{settings.PORTAL_BRAND_NAME}: you have been added to {customer.name}",
        message=render_to_string("emails/welcome.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def added_email_send(*, user: User, customer: Customer) -> None:
    """An existing login added to another company is told so (and where to sign in)."""
    context = {
        "brand_name": settings.PORTAL_BRAND_NAME,
        "support_email": settings.PORTAL_SUPPORT_EMAIL,
        "customer": customer,
        "link": settings.PORTAL_BASE_URL.rstrip("/") + reverse("login"),
    }
    send_mail(
        subject=f"{settings.PORTAL_BRAND_NAME}: you have been added to {customer.name}",
        message=render_to_string("emails/added.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
