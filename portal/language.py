"""The language of a page: a signed-in user's saved choice first, and the switcher that saves it."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


def offered(code: str | None) -> bool:
    return code in dict(settings.LANGUAGES)


def recipient_language(*, user, fallback: str | None = None) -> str:
    """The language of an email to ``user``: their saved choice, else ``fallback`` (their
    company's language, or the page's when they asked for the email themselves), else the
    portal's default; always one the partner offers."""
    for code in (getattr(user, "language", ""), fallback):
        if offered(code):
            return code
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """After LocaleMiddleware (which took the cookie, then Accept-Language, then the default)
    and once the user is known: a saved choice wins, on every device they sign in from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # The lazy user is only read from the session when it holds one: a visitor's
        # page costs no query.
        # A session can outlive its user's right to it (deactivated, removed): then the
        # user is anonymous here, with no saved choice.
        if request.session.get("_auth_user_id") and offered(getattr(user, "language", None)):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


@require_POST
def language_set(request):
    """The switcher on every page: save the choice (for a signed-in user, on their account
    too) and go back to the page it was made on."""
    code = request.POST.get("language", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    if not offered(code):
        return response  # a language no longer offered: the page as it was
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
