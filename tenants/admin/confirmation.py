"""A confirmation step for admin actions that act on Space Invoices."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import TenantError

# Set by the jobs app: runs a confirmed list action over many objects on the queue instead
# of inside this request. Offered here so that tenants never imports what builds on it.
_bulk_runner: Callable | None = None


def bulk_runner_set(runner: Callable | None) -> None:
    """``runner(modeladmin, request, queryset, name=, verb=)`` returns the response."""
    global _bulk_runner
    _bulk_runner = runner


def confirm_then(
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    *,
    verb: str,
    confirm: str,
    explanation: str,
    run: Callable[[object], str | None],
    name: str = "",
):
    """First show what will happen (``explanation``, and ``confirm`` on the button); on
    confirmation run ``run`` per object and report.

    ``run`` returns a warning (or None); a typed failure becomes an error message for that
    object, never a traceback. A list action with a ``name`` goes to the bulk runner when
    one is set (a job on the queue); one object's button always runs here, at once.
    """
    if request.POST.get("confirmed") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": gettext("%(verb)s: are you sure?") % {"verb": verb},
            "verb": verb,
            "confirm": confirm,
            "explanation": explanation,
            "objects": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            # A button on an object's page goes back there; a list action to the list.
            "cancel_url": getattr(request, "confirm_cancel_url", ""),
        }
        return TemplateResponse(request, "admin/tenants/confirm_action.html", context)
    from_the_list = not getattr(request, "confirm_cancel_url", "")
    if name and from_the_list and _bulk_runner is not None:
        return _bulk_runner(modeladmin, request, queryset, name=name, verb=verb)
    done = 0
    for obj in queryset:
        try:
            warning = run(obj)
        except (SpaceInvoicesError, TenantError) as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
            continue
        if warning:
            modeladmin.message_user(request, f"{obj}: {warning}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, done_message(verb, done, modeladmin.model), messages.SUCCESS
        )
    return None


def done_message(verb: str, count: int, model) -> str:
    """ "Rotate key: done for 2 customers." """
    noun = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    return gettext("%(verb)s: done for %(count)d %(noun)s.") % {
        "verb": verb,
        "count": count,
        "noun": noun,
    }
