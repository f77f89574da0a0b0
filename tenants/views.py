"""End-customer pages: home, a customer's page, and its team (for the customer's admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from spaceinvoices.client import SpaceInvoicesError
from tenants.errors import TenantError
from tenants.forms import TeamMemberAddForm, TeamRoleForm
from tenants.models import Membership, Role
from tenants.services import membership_add, membership_remove, membership_role_set


def _membership(user, slug: str) -> Membership:
    """The user's membership of ``slug``; 404 for strangers, exactly as for no such customer."""
    try:
        return Membership.objects.select_related("customer").get(user=user, customer__slug=slug)
    except Membership.DoesNotExist:
        raise Http404("No such customer.") from None


def _admin_membership(user, slug: str) -> Membership:
    membership = _membership(user, slug)
    if membership.role != Role.ADMIN:
        raise PermissionDenied("Only an admin of this customer manages its team.")
    return membership


@login_required
def home(request):
    memberships = list(Membership.objects.select_related("customer").filter(user=request.user))
    if len(memberships) == 1:
        return redirect("customer", slug=memberships[0].customer.slug)
    return render(request, "tenants/home.html", {"memberships": memberships})


@login_required
def customer_detail(request, slug: str):
    membership = _membership(request.user, slug)
    context = {"membership": membership, "customer": membership.customer}
    if membership.role == Role.ADMIN:
        context["team"] = membership.customer.memberships.select_related("user").order_by(
            "user__email"
        )
        context["add_form"] = TeamMemberAddForm()
        context["roles"] = Role.choices
    return render(request, "tenants/customer.html", context)


def _run(request, action, success: str) -> None:
    try:
        action()
    except (SpaceInvoicesError, TenantError) as exc:
        messages.error(request, f"That did not work: {exc}")
    else:
        messages.success(request, success)


@login_required
@require_POST
def team_add(request, slug: str):
    admin = _admin_membership(request.user, slug)
    form = TeamMemberAddForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("customer", slug=slug)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    _run(
        request,
        lambda: membership_add(customer=admin.customer, email=email, role=role, actor=request.user),
        f"{email} was added as {role}.",
    )
    return redirect("customer", slug=slug)


def _teammate(admin: Membership, member_id: int) -> Membership:
    member = get_object_or_404(
        Membership.objects.select_related("user", "customer"), pk=member_id, customer=admin.customer
    )
    if member.pk == admin.pk:
        raise PermissionDenied("You cannot change your own access; ask another admin.")
    return member


@login_required
@require_POST
def team_role(request, slug: str, member_id: int):
    member = _teammate(_admin_membership(request.user, slug), member_id)
    form = TeamRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose viewer, editor or admin.")
        return redirect("customer", slug=slug)
    role = form.cleaned_data["role"]
    _run(
        request,
        lambda: membership_role_set(membership=member, role=role, actor=request.user),
        f"{member.user.email} is now {role}.",
    )
    return redirect("customer", slug=slug)


@login_required
@require_POST
def team_remove(request, slug: str, member_id: int):
    member = _teammate(_admin_membership(request.user, slug), member_id)
    _run(
        request,
        lambda: membership_remove(membership=member, actor=request.user),
        f"{member.user.email} was removed.",
    )
    return redirect("customer", slug=slug)
