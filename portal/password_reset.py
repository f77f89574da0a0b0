"""Log in, and set or reset a password by email: branded, throttled, links from
PORTAL_BASE_URL only, open to members who never had a password, a way out of a lockout."""

import unicodedata

from axes.utils import reset as lockout_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import get_language, gettext_lazy, ngettext, override

from portal.client_ip import client_ip
from portal.language import recipient_language
from portal.lockout import lockout_username
from portal.throttle import throttle_hit


def email_context() -> dict:
    """What every email's template needs: links are built from PORTAL_BASE_URL, never from
    the request's Host header, which the client chooses."""
    return {
        "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
        "brand_name": settings.PORTAL_BRAND_NAME,
        "support_email": settings.PORTAL_SUPPORT_EMAIL,
    }


def email_key(email: str) -> str:
    """One key per mailbox for the throttle: NFKC and case-folded, as the lookup below
    compares, so a long s (U+017F) or capitals do not make a second address."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


class PortalPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        # Django skips accounts without a usable password; here those are members who were
        # added but never chose one (their welcome link may have expired): they get a link.
        # The database's case-insensitive match is checked again in Python, as Django does:
        # some databases fold characters (a long s, U+017F, to S) that a mailbox does not.
        return (
            user
            for user in get_user_model()._default_manager.filter(
                email__iexact=email.strip(), is_active=True
            )
            if user.email and email_key(user.email) == email_key(email)
        )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # In the account holder's language; who asks without one saved reads the page's.
        language = recipient_language(user=context["user"], fallback=get_language())
        with override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.html"

    def form_valid(self, form):
        email = email_key(form.cleaned_data["email"])
        for bucket, key, rate in (
            ("reset-ip", client_ip(self.request), settings.PORTAL_PASSWORD_RESET_IP_RATE),
            ("reset-email", email, settings.PORTAL_PASSWORD_RESET_RATE),
        ):
            verdict = throttle_hit(bucket=bucket, key=key, rate=rate)
            if not verdict.allowed:
                minutes = max(1, round(verdict.retry_after / 60))
                form.add_error(
                    "email",
                    ngettext(
                        "Several links were asked for in a short while. Please check your "
                        "inbox (and spam folder), or try again in %(minutes)d minute.",
                        "Several links were asked for in a short while. Please check your "
                        "inbox (and spam folder), or try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                response = self.form_invalid(form)
                response.status_code = 429
                response["Retry-After"] = str(verdict.retry_after)
                return response
        self.extra_email_context = email_context()
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A deactivated account's outstanding link dies with it.
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        # A new password ends a login lockout: the lockout page sends people here.
        lockout_reset(username=lockout_username(self.request, {"username": form.user.email}))
        return response


class PortalLoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An email is at most 254 characters; a longer value is never looked up (nor
        # recorded by the lockout, whose column is 255 wide).
        self.fields["username"].max_length = 254
        self.fields["username"].validators.append(MaxLengthValidator(254))

    error_messages = {
        **AuthenticationForm.error_messages,
        # Emails are matched whatever their case; only the password is case-sensitive.
        "invalid_login": gettext_lazy(
            "That email and password do not match. The password is case-sensitive; if you "
            "have none yet, or forgot it, choose one by email below."
        ),
    }
