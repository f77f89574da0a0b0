"""Activity on the company pages of the tenants app, which knows nothing of this app."""

from django import template

from activity.models import OverdueAlert
from activity.selectors import month_activity, overdue_count
from tenants.models import Role

register = template.Library()


@register.inclusion_tag("activity/company_activity.html")
def company_activity(membership):
    customer = membership.customer
    is_admin = membership.role == Role.ADMIN
    return {
        "customer": customer,
        "activity": month_activity(customer=customer),
        "is_admin": is_admin,
        "alerts_on": is_admin
        and OverdueAlert.objects.filter(customer=customer, user_id=membership.user_id).exists(),
    }


@register.inclusion_tag("activity/overdue_badge.html")
def overdue_badge(customer):
    return {"customer": customer, "overdue": overdue_count(customer=customer)}
