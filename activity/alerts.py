"""Overdue alerts: company admins who opted in are emailed when an invoice becomes overdue."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext, override

from portal.language import recipient_language
from tenants.models import Customer, Membership, Role, SyncState, User

from .models import InvoiceActivity, OverdueAlert


def overdue_alert_set(*, customer: Customer, user: User, enabled: bool) -> None:
    """Opt a company admin in or out; only admins of the company may receive alerts."""
    if enabled:
        OverdueAlert.objects.get_or_create(customer=customer, user=user)
    else:
        OverdueAlert.objects.filter(customer=customer, user=user).delete()


def _recipients(customer: Customer):
    """Opted-in users who are still active admins of the company."""
    admins = (
        Membership.objects.filter(customer=customer, role=Role.ADMIN, user__is_active=True)
        .exclude(sync_state=SyncState.REMOVING)  # leaving: no longer this company's admin
        .values("user_id")
    )
    return User.objects.filter(
        pk__in=OverdueAlert.objects.filter(customer=customer, user_id__in=admins).values("user_id")
    ).order_by("email")


def overdue_alert_recipients(*, customer: Customer) -> list[str]:
    """The addresses of the opted-in users who are still active admins of the company."""
    return [user.email for user in _recipients(customer)]


def overdue_alert_send(*, customer_id: int, invoice_id: str) -> int:
    """Email the company's opted-in admins about one invoice, each in their own language;
    how many were emailed."""
    invoice = InvoiceActivity.objects.select_related("customer").get(
        customer_id=customer_id, invoice_id=invoice_id
    )
    customer = invoice.customer
    recipients = list(_recipients(customer))
    if not recipients or not invoice.is_overdue:
        return 0
    context = {
        "brand_name": settings.PORTAL_BRAND_NAME,
        "support_email": settings.PORTAL_SUPPORT_EMAIL,
        "customer": customer,
        "invoice": invoice,
        "link": settings.PORTAL_BASE_URL + reverse("customer", args=[customer.slug]),
    }
    messages = []  # one message each: no admin sees the others' addresses
    for user in recipients:
        with override(recipient_language(user=user, fallback=customer.locale)):
            subject = gettext("%(brand)s: invoice %(number)s is overdue") % {
                "brand": settings.PORTAL_BRAND_NAME,
                "number": invoice,
            }
            # The number is the customer's own text upstream: a line break in it would be
            # refused as a header (and lose every admin's alert), and another control
            # character (ESC, NUL) some mail servers refuse, so each is read as a space.
            subject = " ".join("".join(c if c.isprintable() else " " for c in subject).split())
            body = render_to_string("emails/overdue.txt", context)
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    send_mass_mail(messages, fail_silently=False)
    return len(messages)
