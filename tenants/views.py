"""End-customer pages: home, a customer's page, and its team (for the customer's admins)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from portal.throttle import throttle_hit
from tenants.errors import TenantError
from tenants.forms import TeamMemberAddForm, TeamRoleForm
from tenants.launch_rules import launch_block
from tenants.membership_access import admin_membership_get, membership_get
from tenants.models import Membership, Role, SyncState
from tenants.services import (
    membership_add,
    membership_remove,
    membership_role_set,
    team_growth_refusal,
)


@login_required
def home(request):
    memberships = list(
        Membership.objects.select_related("customer")
        .filter(user=request.user)
        .exclude(sync_state=SyncState.REMOVING)
    )
    if len(memberships) == 1:
        return redirect("customer", slug=memberships[0].customer.slug)
    companies = [(m, launch_block(membership=m)) for m in memberships]
    return render(request, "tenants/home.html", {"companies": companies})


def _customer_page(request, membership: Membership, *, add_form=None, status: int = 200):
    context = {
        "membership": membership,
        "customer": membership.customer,
        "launch_block": launch_block(membership=membership),
    }
    if membership.role == Role.ADMIN:
        context["team"] = membership.customer.memberships.select_related("user").order_by(
            "user__email"
        )
        context["add_form"] = add_form or TeamMemberAddForm()
        context["roles"] = Role.choices
        context["team_frozen"] = team_growth_refusal(membership.customer)
    return render(request, "tenants/customer.html", context, status=status)


@login_required
def customer_detail(request, slug: str):
    return _customer_page(request, membership_get(request.user, slug))


def _not_yet_applied(request, text: str, member: Membership | None = None) -> None:
    if member is not None and member.sync_state == SyncState.FAILED:
        # Refused, not unreachable: a retry will not help by itself.
        messages.error(
            request,
            gettext(
                "%(what)s Invoicing refused it; we have been told and will sort it out (or "
                "write to %(email)s)."
            )
            % {"what": text, "email": settings.PORTAL_SUPPORT_EMAIL},
        )
        return
    messages.warning(
        request, gettext("%(what)s It will be applied at the next sync.") % {"what": text}
    )


def _team_growth_refused(request, customer):
    """A redirect with the reason when the customer's admins may not grant access now."""
    if refusal := team_growth_refusal(customer):
        messages.error(request, refusal)
        return redirect("customer", slug=customer.slug)
    return None


@login_required
@require_POST
def team_add(request, slug: str):
    admin = admin_membership_get(request.user, slug)
    if refused := _team_growth_refused(request, admin.customer):
        return refused
    form = TeamMemberAddForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, admin, add_form=form, status=400)
    verdict = throttle_hit(
        bucket="team-add", key=str(request.user.pk), rate=settings.PORTAL_TEAM_ADD_RATE
    )
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after / 60))
        messages.error(
            request,
            ngettext(
                "You added many colleagues in a short while. Please try again in %(minutes)d "
                "minute, or ask %(email)s.",
                "You added many colleagues in a short while. Please try again in %(minutes)d "
                "minutes, or ask %(email)s.",
                minutes,
            )
            % {"minutes": minutes, "email": settings.PORTAL_SUPPORT_EMAIL},
        )
        return redirect("customer", slug=slug)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    try:
        member = membership_add(customer=admin.customer, email=email, role=role, actor=request.user)
    except TenantError as exc:
        form.add_error("email", str(exc))
        return _customer_page(request, admin, add_form=form, status=400)
    else:
        named = {"email": email, "role": Role.in_sentence(member.role)}
        if member.is_applied:
            messages.success(request, gettext("%(email)s was added as %(role)s.") % named)
        else:
            _not_yet_applied(
                request,
                gettext(
                    "%(email)s is saved here as %(role)s; invoicing has not confirmed the "
                    "addition yet."
                )
                % named,
                member,
            )
    return redirect("customer", slug=slug)


def _teammate(admin: Membership, member_id: int) -> Membership:
    member = get_object_or_404(
        Membership.objects.select_related("user", "customer"), pk=member_id, customer=admin.customer
    )
    if member.pk == admin.pk:
        raise PermissionDenied(gettext("You cannot change your own access; ask another admin."))
    return member


@login_required
@require_POST
def team_role(request, slug: str, member_id: int):
    member = _teammate(admin_membership_get(request.user, slug), member_id)
    if refused := _team_growth_refused(request, member.customer):
        return refused
    form = TeamRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose viewer, editor or admin."))
        return redirect("customer", slug=slug)
    try:
        member = membership_role_set(
            membership=member,
            role=form.cleaned_data["role"],
            actor=request.user,
            keep_an_admin=True,
        )
    except TenantError as exc:
        messages.error(request, str(exc))
        return redirect("customer", slug=slug)
    named = {"email": member.user.email, "role": Role.in_sentence(member.role)}
    if member.is_applied:
        messages.success(request, gettext("%(email)s is now %(role)s.") % named)
    elif member.applied_role and Role.rank(member.applied_role) > Role.rank(member.role):
        # Never let anyone believe a user lost rights they still have upstream.
        _not_yet_applied(
            request,
            gettext(
                "%(email)s is saved here as %(role)s, but invoicing has not confirmed the "
                "change: until it does, they may still be %(applied)s there, with its rights."
            )
            % {**named, "applied": Role.in_sentence(member.applied_role)},
            member,
        )
    else:
        _not_yet_applied(
            request,
            gettext(
                "%(email)s is saved here as %(role)s; invoicing has not confirmed the change yet."
            )
            % named,
            member,
        )
    return redirect("customer", slug=slug)


@login_required
def team_remove(request, slug: str, member_id: int):
    """GET asks for confirmation; POST removes."""
    member = _teammate(admin_membership_get(request.user, slug), member_id)
    if request.method != "POST":
        return render(
            request, "tenants/team_remove.html", {"member": member, "customer": member.customer}
        )
    email = member.user.email
    try:
        removed = membership_remove(membership=member, actor=request.user, keep_an_admin=True)
    except TenantError as exc:
        messages.error(request, str(exc))
        return redirect("customer", slug=slug)
    if removed:
        messages.success(request, gettext("%(email)s was removed.") % {"email": email})
    else:
        _not_yet_applied(
            request,
            gettext(
                "%(email)s no longer has access here. Invoicing has not confirmed their "
                "removal yet: until it does, they may still be able to sign in there directly."
            )
            % {"email": email},
        )
    return redirect("customer", slug=slug)
