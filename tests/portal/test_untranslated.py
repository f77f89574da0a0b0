"""Every page and email a customer sees, rendered in a pseudo-language: any word outside its
brackets is a string nobody marked for translation (see tests.portal.untranslated)."""

import calendar
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from activity.alerts import overdue_alert_send
from activity.models import InvoiceActivity, OverdueAlert
from tenants.models import Customer, User
from tests.portal.untranslated import (
    CLOSE,
    OPEN,
    PSEUDO,
    WORD,
    pseudo_catalogue_write,
    unmarked_words,
    visible_text,
)


@pytest.fixture
def pseudo(settings, tmp_path, db):
    """The pseudo-language offered; ``pseudo()`` makes it everyone's (users and companies,
    whose language is a new member's until they choose)."""
    settings.LOCALE_PATHS = [pseudo_catalogue_write(tmp_path), *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, f"{OPEN}Pseudo{CLOSE}")]

    def everyone():
        User.objects.update(language=PSEUDO)
        Customer.objects.update(locale=PSEUDO)

    return everyone


def allowed_words(settings) -> set[str]:
    """Data a page may show as it is: names, the brand, the languages' own names, the
    months and currencies (Django and CLDR write those for real languages)."""
    words = set(calendar.month_name[1:]) | {"EUR", "USD"}
    texts = [settings.PORTAL_BRAND_NAME, *settings.SHIPPED_LANGUAGES.values()]
    texts += [str(u) for u in User.objects.all()]
    texts += list(Customer.objects.values_list("name", flat=True))
    for text in texts:
        words |= set(WORD.findall(text))
    return words


def assert_marked(settings, text: str, where: str) -> None:
    assert OPEN in text, f"{where}: not rendered in the pseudo-language at all"
    assert unmarked_words(text, allowed=allowed_words(settings)) == [], where


def assert_page_marked(settings, response, where: str) -> None:
    assert_marked(settings, visible_text(response.content.decode()), where)


def test_the_guard_finds_a_string_nobody_marked(settings, pseudo):
    # The guard itself: an unmarked word is found, a marked one and data are not.
    text = f"{OPEN}Open invoicing{CLOSE} Acme d.o.o. 12,50 ana@acme.example Unmarked"
    assert unmarked_words(text, allowed={"Acme", "d", "o"}) == ["Unmarked"]
    nested = f"{OPEN}{OPEN}viewer{CLOSE} (you){CLOSE}"
    assert unmarked_words(nested, allowed=set()) == []


def test_pages_of_a_visitor(client, settings, acme, pseudo):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
    pages = {
        "login": client.get(reverse("login")),
        "login refused": client.post(
            reverse("login"), {"username": "ana@acme.example", "password": "wrong"}
        ),
        "reset form": client.get(reverse("password_reset")),
        "reset sent": client.get(reverse("password_reset_done")),
        "reset link dead": client.get(
            reverse("password_reset_confirm", args=["MQ", "no-such-token"]), follow=True
        ),
        "reset complete": client.get(reverse("password_reset_complete")),
        "404": client.get("/no-such-page/"),
    }
    for where, response in pages.items():
        assert_page_marked(settings, response, where)


def test_pages_of_a_company_admin(login_as, settings, acme, make_member, make_customer, pseudo):
    other = make_customer(name="Initech", slug="initech")  # not set up: a disabled button
    make_member(other, "ana@acme.example", "viewer")
    pseudo()
    client = login_as("ana@acme.example")
    InvoiceActivity.objects.create(
        customer=acme, invoice_id="inv_1", number="2026-001", currency="EUR",
        total=Decimal("500"), total_due=Decimal("500"), issued_at=timezone.now(),
        date_due=timezone.now() - timedelta(days=3), overdue_at=timezone.now(),
    )  # fmt: skip
    bo = User.objects.get(email="bo@acme.example").memberships.get()
    pages = {
        "home": client.get(reverse("home")),
        "company": client.get(reverse("customer", args=["acme"])),
        "team add": client.post(
            reverse("team_add", args=["acme"]),
            {"email": "new@acme.example", "role": "editor"},
            follow=True,
        ),
        "role change": client.post(
            reverse("team_role", args=["acme", bo.pk]), {"role": "editor"}, follow=True
        ),
        "remove?": client.get(reverse("team_remove", args=["acme", bo.pk])),
        "removed": client.post(reverse("team_remove", args=["acme", bo.pk]), follow=True),
        "alerts on": client.post(
            reverse("overdue_alert_toggle", args=["acme"]), {"enabled": "on"}, follow=True
        ),
        "not set up": client.post(reverse("open_invoicing", args=["initech"])),
        "use the button": client.get(reverse("open_invoicing", args=["acme"])),
        "password": client.get(reverse("password_change")),
    }
    User.objects.create_user(email="staff@partner.example", is_staff=True)
    pages["staff refused"] = client.post(
        reverse("team_add", args=["acme"]), {"email": "staff@partner.example", "role": "viewer"}
    )
    for where, response in pages.items():
        assert response.status_code < 500, where
        assert_page_marked(settings, response, where)


def test_refusal_pages(login_as, settings, acme, globex, simulator, pseudo):
    pseudo()
    client = login_as("dee@globex.example")
    assert_page_marked(
        settings, client.post(reverse("open_invoicing", args=["globex"])), "role too low"
    )
    client = login_as("bo@acme.example")
    assert_page_marked(settings, client.post(reverse("team_add", args=["acme"])), "not admin")
    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=9)
    simulator.fault(path_prefix="/entities/tokens", method="POST", status=503, count=9)
    unavailable = client.post(reverse("open_invoicing", args=["acme"]))
    assert unavailable.status_code == 503
    assert_page_marked(settings, unavailable, "unavailable")
    acme.is_active = False
    acme.save()
    assert_page_marked(
        settings, client.post(reverse("open_invoicing", args=["acme"])), "turned off"
    )


def test_emails(client, login_as, settings, acme, django_capture_on_commit_callbacks, pseudo):
    pseudo()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
    client.post(reverse("password_reset"), {"email": "bo@acme.example"})
    globex_member = User.objects.create_user(email="cy@elsewhere.example", language=PSEUDO)
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("new@acme.example", globex_member.email):  # a welcome, an "added"
            login_as("ana@acme.example").post(
                reverse("team_add", args=["acme"]), {"email": email, "role": "viewer"}
            )
    ana = User.objects.get(email="ana@acme.example")
    OverdueAlert.objects.create(customer=acme, user=ana)
    InvoiceActivity.objects.create(
        customer=acme, invoice_id="inv_9", number="2026-009", currency="EUR",
        total=Decimal("80"), total_due=Decimal("80"), date_due=timezone.now(),
        overdue_at=timezone.now(),
    )  # fmt: skip
    assert overdue_alert_send(customer_id=acme.pk, invoice_id="inv_9") == 1
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        assert_marked(settings, message.subject, f"subject {message.subject}")
        assert_marked(settings, message.body, f"body of {message.subject}")
