"""Onboarding emails: a new member sets their own password through a branded link; an
existing one is told which company they were added to."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, override

from portal.language import recipient_language
from tenants.models import Customer, User


def _member_email_send(*, user: User, customer: Customer, template: str, context: dict) -> None:
    """In the member's language: theirs if they chose one, else their company's."""
    context = {
        "brand_name": settings.PORTAL_BRAND_NAME,
        "support_email": settings.PORTAL_SUPPORT_EMAIL,
        "customer": customer,
        **context,
    }
    with override(recipient_language(user=user, fallback=customer.locale)):
        subject = gettext("%(brand)s: you have been added to %(company)s") % {
            "brand": settings.PORTAL_BRAND_NAME,
            "company": customer.name,
        }
        message = render_to_string(template, context)
    send_mail(
        subject=subject,
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def welcome_email_send(*, user: User, customer: Customer) -> None:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = settings.PORTAL_BASE_URL.rstrip("/") + path
    _member_email_send(
        user=user, customer=customer, template="emails/welcome.txt", context={"link": link}
    )


def added_email_send(*, user: User, customer: Customer) -> None:
    """An existing login added to another company is told so (and where to sign in)."""
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("login")
    _member_email_send(
        user=user, customer=customer, template="emails/added.txt", context={"link": link}
    )
