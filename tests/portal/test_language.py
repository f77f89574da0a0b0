"""Which language a page speaks, the switcher that saves it, and emails in the reader's."""

import pytest
from django.core import mail
from django.urls import reverse

from tenants.models import User


def heading(response) -> str:
    return response.content.decode().split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_a_visitor_sees_their_browsers_language(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5")
    assert 'lang="de"' in page.content.decode()
    assert heading(page) == "Bei Partner Portal anmelden"
    assert page["Content-Language"] == "de"


def test_a_language_not_offered_falls_back_to_the_default(client, settings):
    settings.LANGUAGES = [("en", "English"), ("sl", "Slovenščina")]
    settings.LANGUAGE_CODE = "sl"
    assert heading(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")) == (
        "Prijava v Partner Portal"
    )
    # And the switcher lists only the languages offered.
    page = client.get(reverse("login")).content.decode()
    assert 'value="sl"' in page and 'value="de"' not in page


def test_a_saved_choice_wins_over_the_browser(login_as, acme):
    User.objects.filter(email="bo@acme.example").update(language="hr")
    page = login_as("bo@acme.example").get(
        reverse("customer", args=["acme"]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Otvori izdavanje računa" in page.content.decode()


def test_a_saved_choice_no_longer_offered_is_ignored(login_as, acme, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch")]
    User.objects.filter(email="bo@acme.example").update(language="hr")
    page = login_as("bo@acme.example").get(
        reverse("customer", args=["acme"]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Rechnungsstellung öffnen" in page.content.decode()


def test_switching_saves_the_choice_and_stays_on_the_page(login_as, acme):
    client = login_as("bo@acme.example")
    page = reverse("customer", args=["acme"])
    answer = client.post(reverse("language_set"), {"language": "sl", "next": page})
    assert answer.status_code == 302 and answer["Location"] == page
    assert User.objects.get(email="bo@acme.example").language == "sl"
    assert answer.cookies["portal_language"].value == "sl"
    # On another device (no cookie), the saved choice still holds.
    client.cookies.clear()
    client.force_login(User.objects.get(email="bo@acme.example"))
    assert "Odpri izdajanje računov" in client.get(page).content.decode()


def test_a_visitor_switch_is_kept_in_a_cookie(client):
    answer = client.post(
        reverse("language_set"), {"language": "it", "next": reverse("password_reset")}
    )
    assert answer["Location"] == reverse("password_reset")
    assert heading(client.get(reverse("password_reset"))) == "Imposti o reimposti la Sua password"


@pytest.mark.parametrize(
    "language, back, lands_on",
    [
        ("sl", "https://evil.example/phish", "/"),  # never off the site
        ("sl", "//evil.example/", "/"),
        ("xx", "/accounts/login/", "/accounts/login/"),  # not offered: nothing changes
    ],
)
def test_a_bad_switch_goes_nowhere_else(login_as, acme, language, back, lands_on):
    client = login_as("bo@acme.example")
    answer = client.post(reverse("language_set"), {"language": language, "next": back})
    assert answer["Location"] == lands_on
    assert User.objects.get(email="bo@acme.example").language == (
        "" if language == "xx" else language
    )


def test_switching_needs_a_post(client):
    assert client.get(reverse("language_set") + "?language=sl").status_code == 405


def test_a_password_reset_email_speaks_the_account_holders_language(client, acme):
    User.objects.filter(email="bo@acme.example").update(language="de")
    client.post(reverse("password_reset"), {"email": "bo@acme.example"}, HTTP_ACCEPT_LANGUAGE="it")
    [message] = mail.outbox
    assert message.subject == "Partner Portal: Wählen Sie Ihr Passwort"
    assert message.body.startswith("Guten Tag,")


def test_a_reset_for_one_without_a_choice_speaks_the_pages_language(client, acme):
    client.post(reverse("password_reset"), {"email": "bo@acme.example"}, HTTP_ACCEPT_LANGUAGE="sl")
    [message] = mail.outbox
    assert message.subject == "Partner Portal: izberite geslo"
    assert "Nekdo (upamo, da vi)" in message.body


def test_a_new_member_is_welcomed_in_their_companys_language(
    login_as, acme, django_capture_on_commit_callbacks
):
    acme.locale = "hr"
    acme.save()
    with django_capture_on_commit_callbacks(execute=True):
        login_as("ana@acme.example").post(
            reverse("team_add", args=["acme"]), {"email": "novi@acme.example", "role": "viewer"}
        )
    [message] = mail.outbox
    assert message.to == ["novi@acme.example"]
    assert message.subject == "Partner Portal: dodani ste u tvrtku Acme d.o.o."
    assert "Za prijavu ovdje postavite lozinku:" in message.body


def test_amounts_and_months_are_written_as_the_language_writes_them(login_as, acme):
    from decimal import Decimal

    from django.utils import timezone

    from activity.models import InvoiceActivity

    InvoiceActivity.objects.create(
        customer=acme, invoice_id="inv_1", currency="EUR", total=Decimal("1234.5"),
        issued_at=timezone.now(),
    )  # fmt: skip
    client = login_as("bo@acme.example")
    for language, amount in (("sl", "1.234,50\xa0€"), ("en", "€1,234.50"), ("de", "1.234,50\xa0€")):
        User.objects.filter(email="bo@acme.example").update(language=language)
        page = client.get(reverse("customer", args=["acme"])).content.decode()
        assert f'<span class="amount">{amount}</span>' in page, language
    User.objects.filter(email="bo@acme.example").update(language="sl")
    page = client.get(reverse("customer", args=["acme"])).content.decode()
    month = timezone.localdate().month
    slovenian = ["januar", "februar", "marec", "april", "maj", "junij", "julij", "avgust",
                 "september", "oktober", "november", "december"][month - 1]  # fmt: skip
    assert f"{slovenian} {timezone.localdate().year}, kot nam je sporočil Space Invoices" in page


def test_switching_on_a_page_answered_to_a_form_goes_home_not_to_a_post_only_url(login_as, acme):
    client = login_as("ana@acme.example")
    page = client.post(reverse("team_add", args=["acme"]), {"email": "not-an-email"})
    assert page.status_code == 400 and 'name="next" value=""' in page.content.decode()
    answer = client.post(reverse("language_set"), {"language": "de", "next": ""})
    assert answer["Location"] == "/"


def test_each_language_is_named_in_its_own_tongue_whatever_the_page_speaks(login_as, acme):
    User.objects.filter(email="bo@acme.example").update(language="de")
    page = login_as("bo@acme.example").get(reverse("customer", args=["acme"])).content.decode()
    assert 'lang="en" class="link-button">English</button>' in page
    assert 'lang="sl" class="link-button">Slovenščina</button>' in page


def test_odd_amounts_and_currencies_are_written_not_crashed():
    from portal.money import money_format

    assert money_format(amount="12.5", currency="eur", language="en") == "€12.50"
    assert money_format(amount="12.5", currency=None, language="sl") == "12,50"
    assert money_format(amount="NaN", currency="EUR", language="de") == "NaN EUR"
    assert money_format(amount="1e30", currency="EUR", language="de").endswith("EUR")  # no crash


def test_an_overdue_invoice_without_a_due_date_reads_whole(acme):
    from decimal import Decimal

    from django.utils import timezone

    from activity.alerts import overdue_alert_send
    from activity.models import InvoiceActivity, OverdueAlert

    OverdueAlert.objects.create(customer=acme, user=User.objects.get(email="ana@acme.example"))
    InvoiceActivity.objects.create(
        customer=acme, invoice_id="inv_7", number="7", currency="EUR", total=Decimal("5"),
        total_due=Decimal("5"), overdue_at=timezone.now(),
    )  # fmt: skip
    assert overdue_alert_send(customer_id=acme.pk, invoice_id="inv_7") == 1
    assert "Invoice 7 of Acme d.o.o. is overdue: €5.00 is still to be paid." in mail.outbox[0].body


def test_a_session_whose_user_was_deactivated_is_signed_out_not_an_error(login_as, acme):
    client = login_as("bo@acme.example")
    User.objects.filter(email="bo@acme.example").update(is_active=False, language="de")
    page = client.get(reverse("customer", args=["acme"]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
