"""A job's page: progress per customer that updates itself, and a retry for a failed item."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from tenants.admin.customer_runs import PERMISSIONS

from .bulk import job_items_enqueue
from .models import Job, JobItem


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at", "progress"]
    list_filter = ["kind"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False  # a job is started by a customer action, never by hand

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The list's progress column in the same query, whatever the number of jobs.
        def items(*states):
            return Count("items", filter=Q(items__state__in=states))

        return (
            super()
            .get_queryset(request)
            .annotate(
                _done=items(JobItem.State.DONE),
                _failed=items(JobItem.State.FAILED),
                _waiting=items(JobItem.State.PENDING, JobItem.State.RUNNING),
            )
        )

    @admin.display(description=gettext_lazy("Done / failed / pending"))
    def progress(self, job: Job) -> str:
        return f"{job._done} / {job._failed} / {job._waiting}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/progress/", view(self.progress_view), name="jobs_job_progress"),
            path(
                "<int:job_id>/retry/<int:item_id>/",
                view(require_POST(self.retry_view)),
                name="jobs_job_retry",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, job_id) -> Job:
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = Job.objects.filter(pk=job_id).first() if str(job_id).isdigit() else None
        if job is None:
            raise Http404("No such job.")
        return job

    def may_retry(self, request, job: Job) -> bool:
        """Its own permission, and the permission of the action being retried."""
        user = request.user
        needed = PERMISSIONS.get(job.kind)
        return bool(needed) and user.has_perm("jobs.retry_jobitem") and user.has_perm(needed)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.model._meta,
            "job": job,
            "counts": job.counts(),
            "items": job.items.select_related("customer"),
            "may_retry": self.may_retry(request, job),
            "progress_url": reverse("admin:jobs_job_progress", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/jobs/job_progress.html", context)

    def progress_view(self, request, job_id):
        job = self._job(request, job_id)
        items = [
            {"id": item.pk, "state": item.state, "label": item.get_state_display(),
             "message": item.message}
            for item in job.items.all()
        ]  # fmt: skip
        return JsonResponse({"counts": job.counts(), "items": items})

    def retry_view(self, request, job_id, item_id):
        job = self._job(request, job_id)
        if not self.may_retry(request, job):
            raise PermissionDenied
        retried = JobItem.objects.filter(pk=item_id, job=job, state=JobItem.State.FAILED).update(
            state=JobItem.State.PENDING, message="", attempts=0, retried_by=request.user
        )  # one statement: two staff pressing Retry at once queue it once
        if retried:
            job_items_enqueue(item_ids=[item_id])
        else:
            self.message_user(
                request, gettext("Only a failed item can be retried."), messages.ERROR
            )
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
