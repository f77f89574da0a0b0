"""CSV import in the admin: upload, a summarised preview, then import (all rows or none).

The upload is streamed to a file (Django spools anything past 2.5 MB to disk) and checked
row by row, so a file of any size costs constant memory. Imported customers are left
pending: provisioning is never part of a web request.
"""

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from tenants.errors import TenantError
from tenants.importing import COLUMNS, ImportInvalid, customers_import, import_check

SESSION_KEY = "customer_import"
PREVIEWS_KEPT = 5  # uploads a session may hold previewed at once (a tab each)
STALE_AFTER_SECONDS = 24 * 3600


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=format_lazy(gettext_lazy("Columns: {}."), ", ".join(COLUMNS)),
    )


def _upload_dir() -> Path:
    directory = Path(settings.PORTAL_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.csv"):  # uploads previewed but never imported
        if stale.stat().st_mtime < time.time() - STALE_AFTER_SECONDS:
            stale.unlink(missing_ok=True)
    return directory


def _previewed(request) -> list[str]:
    """The tokens of this session's previewed uploads, oldest first."""
    kept = request.session.get(SESSION_KEY, [])
    return [kept] if isinstance(kept, str) else list(kept)  # one token, as sessions held it


def _upload_path(token: str) -> Path:
    return Path(settings.PORTAL_IMPORT_DIR) / f"{uuid.UUID(hex=token).hex}.csv"


class CustomerImport:
    """Mixed into CustomerAdmin: /admin/tenants/customer/import/."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="tenants_customer_import"), *super().get_urls()]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("tenants.import_customers")

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            return self._import(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import customers from CSV"),
            "opts": self.model._meta,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            token = uuid.uuid4().hex
            target = _upload_dir() / f"{token}.csv"
            with target.open("wb") as out:
                for chunk in form.cleaned_data["file"].chunks():
                    out.write(chunk)
            summary = import_check(target)
            if summary.error_count:
                target.unlink(missing_ok=True)
            else:
                request.session[SESSION_KEY] = [*_previewed(request)[-PREVIEWS_KEPT + 1 :], token]
            context.update(summary=summary, name=form.cleaned_data["file"].name, token=token)
        return TemplateResponse(request, "admin/tenants/customer/import.html", context)

    def _import(self, request):
        previewed, token = _previewed(request), request.POST.get("token")
        if token in previewed:  # spent: the same upload is never imported twice
            request.session[SESSION_KEY] = [kept for kept in previewed if kept != token]
        else:
            self.message_user(
                request, gettext("That upload has expired; upload it again."), messages.ERROR
            )
            return redirect(reverse("admin:tenants_customer_import"))
        upload = _upload_path(token)
        try:
            imported = customers_import(path=upload, actor=request.user)
        except (ImportInvalid, TenantError) as exc:
            # The file was checked at the preview: a row refused now (a member turned off
            # since, say) is named, not only counted.
            summary = exc.summary if isinstance(exc, ImportInvalid) else None
            error = "; ".join(e.rstrip(".") for e in summary.errors[:3]) if summary else str(exc)
            if summary and summary.error_count > 3:
                error += f"; and {summary.error_count - 3} more"
            self.message_user(
                request,
                gettext("Nothing imported: %(error)s.") % {"error": error.rstrip(".")},
                messages.ERROR,
            )
            return redirect(reverse("admin:tenants_customer_import"))
        finally:
            upload.unlink(missing_ok=True)
        self._imported_say(request, imported)
        return redirect(reverse("admin:tenants_customer_changelist"))

    def _imported_say(self, request, imported) -> None:
        """What the import did, and what each part of it still waits for."""
        if imported.created:
            self.message_user(
                request,
                gettext(
                    "Imported: %(count)d new customer(s), left pending; provision them from the "
                    "list (filter “Not provisioned yet”) or with provision_customers --all-pending."
                )
                % {"count": imported.created},
                messages.SUCCESS,
            )
        if imported.changed:
            self.message_user(
                request,
                gettext(
                    "Imported: %(count)d existing customer(s) changed. New details wait for “Send "
                    "details to Space Invoices”; new members and roles for the next member sync."
                )
                % {"count": imported.changed},
                messages.SUCCESS,
            )
        if not imported.created and not imported.changed:
            self.message_user(request, gettext("Imported: nothing was different."))
