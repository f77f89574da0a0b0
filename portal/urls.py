"""URL routes: the admin, accounts, health probes, branding, and the portal's own pages."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from . import admin_selection, branding, health, language, lockout, password_reset, second_factor

admin.site.site_header = format_lazy(gettext_lazy("{} — partner staff"), settings.PORTAL_BRAND_NAME)
admin.site.site_title = settings.PORTAL_BRAND_NAME
admin.site.index_title = gettext_lazy("Customers and invoicing")
second_factor.device_admins_remove(admin.site)
lockout.expired_attempts_cleanup_mended(admin.site)
admin_selection.selection_checked_everywhere(admin.site)  # third-party admins too

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/second-factor/", second_factor.second_factor, name="second_factor"),
    # Ours first: they shadow Django's views of the same names (see portal.password_reset).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=password_reset.PortalLoginForm),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        password_reset.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        password_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", branding.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("brand.css", branding.brand_css, name="brand_css"),
    path("language/", language.language_set, name="language_set"),
    path("", include("embedding.urls")),
    path("", include("activity.urls")),
    path("", include("tenants.urls")),
]

handler400 = "portal.errors.bad_request"
handler500 = "portal.errors.server_error"
