"""Starting a bulk job: its items are saved first, then each is put on the queue."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext

from tenants.admin.confirmation import done_message
from tenants.admin.customer_runs import RUNS
from tenants.models import Customer

from .models import Job, JobItem


def job_create(
    *, kind: str, label: str, customers: list[Customer], created_by=None, origin: str = ""
) -> Job:
    """Save the job and its items, then queue the items: a worker must find the rows, and a
    crash before the commit leaves nothing half-made. A crash between the two leaves
    pending items, which ``jobs_resume`` queues again. Called outside a transaction, as
    every upstream call is (without a broker the items run right here)."""
    if kind not in RUNS:
        raise ValueError(f"unknown job kind {kind!r}")
    with transaction.atomic():
        job = Job.objects.create(kind=kind, label=label, created_by=created_by, origin=origin)
        items = JobItem.objects.bulk_create(JobItem(job=job, customer=c) for c in customers)
    job_items_enqueue(item_ids=[item.pk for item in items])
    return job


def job_items_enqueue(*, item_ids: list[int]) -> None:
    from .tasks import job_item_run  # the tasks import this module's models: import late

    for item_id in item_ids:
        job_item_run.delay(item_id)


def job_start_from_admin(modeladmin, request, queryset, *, name: str, verb: str):
    """The customer list's confirmed action as a job; staff land on its page. Without a
    broker the job has run by now, and the page opens with the same messages as before."""
    customers = list(queryset)
    if not customers:
        return None
    job = job_create(kind=name, label=verb, customers=customers, created_by=request.user)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        job_report(modeladmin, request, job)
    else:
        modeladmin.message_user(
            request,
            gettext("%(verb)s: queued for %(count)d customer(s); this page follows its progress.")
            % {"verb": verb, "count": len(customers)},
            messages.INFO,
        )
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


def job_report(modeladmin, request, job: Job) -> None:
    """Each failure and warning as a message, then how many went through."""
    done = 0
    for item in job.items.select_related("customer"):
        if item.state == JobItem.State.FAILED:
            modeladmin.message_user(request, f"{item.customer}: {item.message}", messages.ERROR)
        elif item.message:
            modeladmin.message_user(request, f"{item.customer}: {item.message}", messages.WARNING)
        elif item.state == JobItem.State.DONE:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(job.label, done, Customer), messages.SUCCESS)
