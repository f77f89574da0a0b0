"""The usage report: documents made per customer and month, a 12-month chart, and CSV."""

import csv

from django import forms
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, gettext_lazy

from tenants.models import Customer

from .processing import COUNTED_TYPES
from .selectors import month_after, months_back, usage_by_month, usage_rows

CHART_MONTHS = 12
CHART_HEIGHT = 160  # pixels of the tallest bar
# A cell starting with one of these is a formula to a spreadsheet: quoted in the CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UsageFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"),
        required=False,
        label=gettext_lazy("Customer"),
        empty_label=gettext_lazy("All customers"),
    )
    document_type = forms.ChoiceField(
        choices=[("", gettext_lazy("All documents"))]
        + [(t, t.replace("_", " ")) for t in COUNTED_TYPES],
        required=False,
        label=gettext_lazy("Document type"),
    )
    months = forms.IntegerField(
        min_value=1, max_value=36, initial=CHART_MONTHS, required=False,
        label=gettext_lazy("Months"),
        help_text=gettext_lazy("How many months back, this one included (1 to 36)."),
    )  # fmt: skip


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def usage_csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="usage.csv"'
    writer = csv.writer(response)
    writer.writerow(["month", "customer", "document_type", "count", "currency", "amount"])
    for row in rows:
        writer.writerow(
            [
                row.month.strftime("%Y-%m"), _cell(row.customer_name), _cell(row.document_type),
                row.count, _cell(row.currency), f"{row.amount:.2f}",
            ]
        )  # fmt: skip
    return response


def _chart(months, rows) -> list[dict]:
    """One bar per month: its label, count and height (drawn as SVG, no script needed)."""
    per_month = usage_by_month(months=months, rows=rows)
    tallest = max((count for _, count in per_month), default=0) or 1
    return [
        {
            "label": month.strftime("%b %Y"),  # a stable name for the bar; shown by its month
            "month": month,
            "count": count,
            "height": round(CHART_HEIGHT * count / tallest),
            "x": index * 40,
            "y": CHART_HEIGHT - round(CHART_HEIGHT * count / tallest),
        }
        for index, (month, count) in enumerate(per_month)
    ]


def usage_report_view(model_admin, request):
    form = UsageFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    chosen = form.cleaned_data if request.GET and valid else {}
    count = chosen.get("months") or CHART_MONTHS
    months = months_back(count=count)
    until = month_after(months[-1])
    customer = chosen.get("customer")
    rows = []
    if valid:
        rows = usage_rows(
            since=months[0],
            until=until,
            customer_id=customer.pk if customer else None,
            document_type=chosen.get("document_type", ""),
        )
    if valid and request.GET.get("export") == "csv":
        return usage_csv(rows)
    chart_months = months[-CHART_MONTHS:]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Usage"),
        "opts": model_admin.model._meta,
        "form": form,
        "rows": rows,
        "chart": _chart(chart_months, [r for r in rows if r.month >= chart_months[0].date()]),
        "chart_height": CHART_HEIGHT,
        "chart_width": 40 * len(chart_months),
        "csv_query": request.GET.urlencode(),
        "valid": valid,
    }
    return TemplateResponse(request, "admin/activity/usage_report.html", context)
