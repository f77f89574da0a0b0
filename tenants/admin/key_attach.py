"""The customer page's Attach an entity API key: a key made elsewhere, pasted by hand.

Its own page, under the key permission alone: a key custodian need not be able to change
the customer's other fields to attach its key (and the admin's change form would save
inside a transaction, where no call to Space Invoices may be made).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import KeyRejected, TenantError
from tenants.models import Customer
from tenants.services import entity_key_attach

PERMISSION = "tenants.rotate_entityapikey"


class KeyAttachForm(forms.Form):
    key = forms.CharField(
        strip=True,
        max_length=200,
        label=gettext_lazy("Entity API key"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Checked with Space Invoices before it is saved, and never shown again. The key "
            "it replaces is revoked and deleted at Space Invoices."
        ),
    )
    entity_id = forms.CharField(
        max_length=64,
        # Checked before it goes into a request header: no line break or foreign letter.
        validators=[
            RegexValidator(
                r"\A[A-Za-z0-9_-]+\Z",
                gettext_lazy("An entity id has only letters, digits, _ and - (ent_…)."),
            )
        ],
        label=gettext_lazy("Entity id for that key"),
        help_text=gettext_lazy("This customer has no entity yet: the key's entity becomes its."),
    )

    def __init__(self, *args, needs_entity_id: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not needs_entity_id:
            del self.fields["entity_id"]


def may_attach(user, customer: Customer) -> bool:
    """Whether the page's button is offered: the key permission, and a customer not leaving."""
    return user.has_perm(PERMISSION) and not customer.is_offboarding


class KeyAttachPage:
    """Mixed into CustomerAdmin."""

    def get_urls(self):
        attach = path(
            "<path:object_id>/attach-key/",
            self.admin_site.admin_view(self.key_attach_view),
            name="tenants_customer_attach_key",
        )
        return [attach, *super().get_urls()]

    def page_links(self, request, customer: Customer) -> list[tuple[str, str]]:
        links = super().page_links(request, customer)
        if may_attach(request.user, customer):
            url = reverse("admin:tenants_customer_attach_key", args=[customer.pk])
            links.append((url, gettext("Attach an entity API key")))
        return links

    @method_decorator(sensitive_post_parameters("key"))  # never in an error report
    def key_attach_view(self, request, object_id):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied  # before the lookup: no telling which customers exist
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404("No such customer.")
        page = reverse("admin:tenants_customer_change", args=[customer.pk])
        if customer.is_offboarding:
            self.message_user(
                request, gettext("%(customer)s is being offboarded: no key is attached.")
                % {"customer": customer}, messages.ERROR,
            )  # fmt: skip
            return HttpResponseRedirect(page)
        form = KeyAttachForm(request.POST or None, needs_entity_id=not customer.entity_id)
        posted = request.method == "POST" and form.is_valid()
        if posted and self._attach(request, customer, form):
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Attach an entity API key"),
            "customer": customer,
            "form": form,
            "cancel_url": page,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tenants/customer/attach_key.html", context)

    def _attach(self, request, customer: Customer, form: KeyAttachForm) -> bool:
        """Attach, or put why not on the form (nothing is stored then)."""
        try:
            warnings = entity_key_attach(
                customer=customer,
                key=form.cleaned_data["key"],
                entity_id=form.cleaned_data.get("entity_id", ""),
                actor=request.user,
            )
        except KeyRejected as exc:
            on_entity = exc.about_entity and "entity_id" in form.fields
            form.add_error("entity_id" if on_entity else "key", str(exc))
            return False
        except SpaceInvoicesError as exc:
            form.add_error(
                None,
                gettext("Space Invoices could not check the key now (%(error)s). Nothing "
                        "was stored: try again.") % {"error": exc},
            )  # fmt: skip
            return False
        except TenantError as exc:
            form.add_error(None, str(exc))
            return False
        self.message_user(request, gettext("The key was checked and attached."), messages.SUCCESS)
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)
        return True
