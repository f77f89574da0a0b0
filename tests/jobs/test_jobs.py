"""Bulk jobs without a broker (tasks run in-process): the admin, the job page, retries,
commands with --queue, and the schedules' tasks."""

from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from embedding.models import LaunchEvent
from jobs.models import Job, JobItem
from jobs.tasks import (
    details_retry_failed,
    job_item_run,
    jobs_resume,
    launch_events_prune,
    members_retry_unapplied,
    members_sync_all,
    provisioning_retry_failed,
    sessions_expired_prune,
)
from tenants.models import Customer, DetailsState, User
from tenants.services import customer_offboard, customer_provision
from tests.fixtures_portal import staff_group, upstream_users

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:tenants_customer_changelist")


@pytest.fixture
def three(make_customer, make_member, simulator):
    made = []
    for name in ("Alpha", "Beta", "Gamma"):
        customer = customer_provision(customer=make_customer(name=name), actor="t")
        make_member(customer, f"new@{name.lower()}.example", "editor")
        made.append(customer)
    return made


def staff_in(group: str, email: str = "ops@partner.example") -> User:
    user = User.objects.create_user(email=email, password="pw-staff-123", is_staff=True)
    user.groups.add(staff_group(group))
    return user


def test_a_list_action_becomes_a_job_whose_page_shows_each_customer(
    client, staff, three, simulator, account_key
):
    client.force_login(staff)
    data = {"action": "sync_members", "_selected_action": [c.pk for c in three]}
    simulator.fault(path_prefix="/entities/users", method="POST", status=422, count=1)
    page = client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    job = Job.objects.get()
    assert page.redirect_chain == [(reverse("admin:jobs_job_change", args=[job.pk]), 302)]
    assert (job.kind, job.label, job.created_by) == ("sync_members", "Sync members", staff)
    states = dict(job.items.values_list("customer__name", "state"))
    assert states == {"Alpha": "failed", "Beta": "done", "Gamma": "done"}
    assert job.counts() == {"pending": 0, "running": 0, "done": 2, "failed": 1}
    text = page.content.decode()
    assert 'Done <strong data-count="done">2</strong>' in text
    assert "Sync members: done for 2 customers." in text
    assert "[422 injected_fault]" in text  # the failed item's reason, on its row too
    assert upstream_users(simulator, account_key, three[1].entity_id) == {
        "new@beta.example": "editor"
    }
    listed = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert '<td class="field-progress">2 / 1 / 0</td>' in listed


def test_the_progress_answer_counts_and_lists_every_item(client, staff, three):
    client.force_login(staff)
    job = customers_job(three, kind="sync_members")
    progress = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).json()
    assert progress["counts"] == {"pending": 0, "running": 0, "done": 3, "failed": 0}
    assert [item["state"] for item in progress["items"]] == ["done"] * 3


def customers_job(customers, kind: str, created_by=None) -> Job:
    from jobs.bulk import job_create

    return job_create(kind=kind, label=kind, customers=customers, created_by=created_by)


def test_a_failed_item_is_retried_by_someone_allowed_to_and_no_one_else(
    client, three, simulator, account_key
):
    simulator.fault(path_prefix="/entities/users", method="POST", status=503, count=30)
    job = customers_job(three[:1], kind="sync_members")
    [item] = job.items.all()
    assert item.state == "failed" and "503" in item.message
    simulator.clear_faults()
    retry = reverse("admin:jobs_job_retry", args=[job.pk, item.pk])
    # Support sees the job but may not retry it; Key custodians may retry, but not a sync.
    for group in ("Support", "Key custodian"):
        client.force_login(staff_in(group, email=f"{group[:3].lower()}@partner.example"))
        page = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
        assert page.status_code == 200 and 'value="Retry"' not in page.content.decode()
        assert client.post(retry).status_code == 403
    assert JobItem.objects.get(pk=item.pk).state == "failed"
    assert upstream_users(simulator, account_key, three[0].entity_id) == {}
    client.force_login(staff_in("Operations"))
    assert (
        'value="Retry"'
        in client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    )
    client.post(retry)
    assert JobItem.objects.get(pk=item.pk).state == "done"
    assert upstream_users(simulator, account_key, three[0].entity_id) == {
        "new@alpha.example": "editor"
    }
    assert client.post(retry).status_code == 302  # done: nothing to retry, said so
    assert JobItem.objects.get(pk=item.pk).attempts == 1  # a retry starts afresh
    # The retried work is audited as whoever pressed Retry.
    from tenants.models import StaffAction

    assert StaffAction.objects.filter(action="sync_members").latest("pk").actor_label == (
        "ops@partner.example"
    )


def test_staff_without_the_jobs_view_permission_cannot_see_a_job(client, three):
    job = customers_job(three[:1], kind="sync_members")
    clerk = User.objects.create_user(email="clerk@partner.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(clerk)
    assert client.get(reverse("admin:jobs_job_change", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 403


def test_an_item_delivered_twice_acts_once(three, simulator):
    job = customers_job(three[:1], kind="rotate_key")
    [item] = job.items.all()
    keys = simulator.requests_to("POST /entities/api-keys")
    assert job_item_run.delay(item.pk).get() == "nothing to do"
    assert simulator.requests_to("POST /entities/api-keys") == keys
    assert JobItem.objects.get(pk=item.pk).attempts == 1


def test_an_item_left_running_by_a_dead_worker_is_finished_by_the_resume(
    three, simulator, account_key, settings
):
    from jobs.models import Job as JobModel

    job = JobModel.objects.create(kind="sync_members", label="Sync")
    item = JobItem.objects.create(job=job, customer=three[0], state="running", attempts=1)
    fresh = JobItem.objects.create(job=job, customer=three[1], state="running", attempts=1)
    stale = timezone.now() - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT + 120)
    JobItem.objects.filter(pk=item.pk).update(updated_at=stale)
    assert jobs_resume.delay().get() == 1  # the fresh one may still be running somewhere
    assert JobItem.objects.get(pk=item.pk).state == "done"
    assert JobItem.objects.get(pk=fresh.pk).state == "running"
    assert "new@alpha.example" in upstream_users(simulator, account_key, three[0].entity_id)


def test_a_command_with_queue_starts_a_job(three, simulator, account_key):
    from tenants.models import StaffAction

    out = StringIO()
    call_command("sync_members", "--all", "--queue", stdout=out)
    job = Job.objects.get()
    # Without a broker (these tests run the queue eagerly) the job ran here: it says how.
    slugs = sorted(c.slug for c in three)
    assert out.getvalue().splitlines() == [
        *(f"[{n}/3] {slug}: done" for n, slug in enumerate(slugs, start=1)),
        f"Job #{job.pk} ran here: 3 customer(s) done.",
    ]
    assert (job.kind, job.label, job.created_by) == ("sync_members", "sync_members", None)
    audits = StaffAction.objects.filter(action="sync_members")
    assert set(audits.values_list("actor_label", flat=True)) == {"command:sync_members"}
    assert job.counts()["done"] == 3
    call_command("set_access_mode", "--mode", "api_key", "--customer", three[0].slug,
                 "--queue", stdout=StringIO())  # fmt: skip
    assert Job.objects.latest("pk").kind == "switch_to_api_key"
    assert Customer.objects.get(pk=three[0].pk).access_mode == "api_key"


def test_a_command_whose_job_ran_here_and_failed_says_so_and_fails(three, simulator):
    simulator.fault(path_prefix="/entities/users", status=503, count=1000)
    out = StringIO()
    with pytest.raises(CommandError, match=r"ran here: 3 of 3 customer\(s\) failed"):
        call_command("sync_members", "--all", "--queue", stdout=out)
    assert out.getvalue().count("FAILED: ") == 3
    assert "Queued" not in out.getvalue()
    assert Job.objects.get().counts()["failed"] == 3


def test_a_command_whose_job_ran_here_with_work_left_fails_as_it_would_without_queue(
    three, simulator, settings
):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key is lost
    out = StringIO()
    with pytest.raises(CommandError, match=r"ran here: 1 of 1 customer\(s\) failed"):
        call_command("rotate_entity_keys", "--customer", three[0].slug, "--queue", stdout=out)
    assert f"[1/1] {three[0].slug}: FAILED: done, but old key" in out.getvalue()
    assert simulator.requests_to("POST /entities/api-keys") >= 1  # the rotation did happen


def test_the_schedules_queue_what_is_behind(three, make_customer, simulator):
    customer_offboard(customer=three[2], actor="t")  # a customer that left is never included
    assert members_sync_all.delay().get() == 2
    failed = make_customer(name="Failing")
    simulator.fault(path_prefix="/entities", method="POST", status=422, count=1)
    customer_provision(customer=failed, actor="t")
    assert provisioning_retry_failed.delay().get() == 1
    assert Customer.objects.get(pk=failed.pk).is_provisioned  # the retry went through
    Customer.objects.filter(pk=three[0].pk).update(details_state=DetailsState.FAILED)
    assert details_retry_failed.delay().get() == 1
    assert Customer.objects.get(pk=three[0].pk).details_state == DetailsState.IN_STEP
    kinds = list(Job.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["sync_members", "provision", "update_details"]


def test_team_changes_space_invoices_has_not_confirmed_are_applied_within_minutes(
    three, simulator, account_key
):
    """Not only by the nightly sync: a change older than a couple of minutes is queued, once
    (not while a member sync for that customer is queued already)."""
    from tenants.models import Membership

    alpha, beta, gamma = three
    assert members_retry_unapplied.delay().get() == 0  # just saved: left to its request
    aged = timezone.now() - timedelta(minutes=5)
    Membership.objects.filter(customer__in=[alpha, beta]).update(updated_at=aged)
    queued = Job.objects.create(kind="sync_members", label="Sync members")
    JobItem.objects.create(job=queued, customer=beta)
    assert members_retry_unapplied.delay().get() == 1
    assert upstream_users(simulator, account_key, alpha.entity_id) == {
        "new@alpha.example": "editor"
    }
    assert Membership.objects.get(customer=alpha).sync_state == "synced"
    assert upstream_users(simulator, account_key, beta.entity_id) == {}  # queued already
    assert upstream_users(simulator, account_key, gamma.entity_id) == {}  # too young
    assert members_retry_unapplied.delay().get() == 0  # alpha is in step now
    job = Job.objects.exclude(pk=queued.pk).get()
    assert (job.kind, job.label) == ("sync_members", "Retry unconfirmed team changes")


def test_a_customer_whose_retry_failed_is_not_retried_again_for_an_hour(three, simulator):
    """Space Invoices refusing to list the entity's users (403: no passing outage) fails the
    retry; the next ticks leave that customer alone for an hour instead of a job each."""
    from tenants.models import Membership

    alpha = three[0]
    Membership.objects.filter(customer=alpha).update(updated_at=timezone.now() - timedelta(hours=1))
    Membership.objects.exclude(customer=alpha).update(sync_state="synced")
    simulator.fault(path_prefix="/entities/users", method="GET", status=403, count=50)
    assert members_retry_unapplied.delay().get() == 1
    [item] = JobItem.objects.filter(job__origin="schedule:members_retry_unapplied")
    assert item.state == "failed"
    assert members_retry_unapplied.delay().get() == 0
    assert members_retry_unapplied.delay().get() == 0
    JobItem.objects.filter(pk=item.pk).update(updated_at=timezone.now() - timedelta(minutes=61))
    simulator.clear_faults()
    assert members_retry_unapplied.delay().get() == 1
    assert Membership.objects.get(customer=alpha).sync_state == "synced"
    assert Job.objects.filter(origin="schedule:members_retry_unapplied").count() == 2


def test_launch_audit_older_than_the_retention_is_deleted(three, settings):
    settings.PORTAL_LAUNCH_AUDIT_DAYS = 30
    old = LaunchEvent.objects.create(customer_slug="alpha", outcome="launched", mode="user")
    new = LaunchEvent.objects.create(customer_slug="alpha", outcome="launched", mode="user")
    LaunchEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert launch_events_prune.delay().get() == 1
    assert list(LaunchEvent.objects.values_list("pk", flat=True)) == [new.pk]


def test_expired_sessions_are_deleted_and_live_ones_kept(three):
    from tenants.models import UserSession
    from tenants.sessions import SessionStore

    stores = [SessionStore(), SessionStore()]
    for store in stores:
        store["seen"] = True
        store.save()
    expired, live = (store.session_key for store in stores)
    UserSession.objects.filter(pk=expired).update(expire_date=timezone.now() - timedelta(1))
    sessions_expired_prune.delay().get()
    assert list(UserSession.objects.values_list("pk", flat=True)) == [live]
    # Nightly, with the other clean-ups.
    assert settings.CELERY_BEAT_SCHEDULE["expired-sessions"]["task"] == (
        "jobs.tasks.sessions_expired_prune"
    )


def test_each_item_says_why_it_failed_or_what_it_left(make_customer, staff, three, simulator):
    from cryptography.fernet import Fernet
    from django.db import connection

    from tenants.models import StaffAction

    newco = make_customer(name="Newco")
    simulator.fault(path_prefix="/entities", method="POST", status=422, count=1,
                    body={"code": "validation_error", "message": "country unknown"})  # fmt: skip
    [item] = customers_job([newco], kind="provision", created_by=staff).items.all()
    assert item.state == "failed" and item.message.startswith("not provisioned: ")
    assert "country unknown" in item.message
    Customer.objects.filter(pk=three[0].pk).update(details_state=DetailsState.FAILED)
    customers_job(three[:1], kind="update_details", created_by=staff)
    assert StaffAction.objects.filter(action="update_details").latest("pk").actor == staff
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE customer_id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode(), three[1].pk],
        )
    [left] = customers_job(three[1:2], kind="offboard", created_by=staff).items.all()
    assert left.state == "done" and "may remain at Space Invoices" in left.message
    assert StaffAction.objects.filter(action="offboard").latest("pk").actor == staff


def test_a_bulk_disable_space_invoices_did_not_confirm_blocks_here_and_says_so(
    staff, three, simulator, account_key
):
    simulator.fault(path_prefix="/entities/", method="POST", status=503, count=99)
    [item] = customers_job(three[:1], kind="disable", created_by=staff).items.all()
    assert item.state == "failed"
    assert item.message.startswith("Open invoicing is blocked here, but Space Invoices has not")
    assert not Customer.objects.get(pk=three[0].pk).is_active
    entity = simulator.api("GET", f"/entities/{three[0].entity_id}", account_key).json()
    assert entity["is_enabled"] is True


def test_an_unknown_kind_or_a_bug_fails_the_item_never_leaves_it_running(client, staff, three):
    job = Job.objects.create(kind="bogus", label="Bogus")
    item = JobItem.objects.create(job=job, customer=three[0])
    assert job_item_run.delay(item.pk).get() == "failed"
    assert JobItem.objects.get(pk=item.pk).message == "unknown job kind 'bogus'"
    client.force_login(staff)
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert page.status_code == 200 and 'value="Retry"' not in page.content.decode()
    assert client.get("/admin/jobs/job/abc/change/").status_code == 404


def test_resume_leaves_an_item_waiting_for_its_own_retry_alone(three, settings):
    job = Job.objects.create(kind="sync_members", label="Sync")
    waiting = JobItem.objects.create(job=job, customer=three[0], state="pending", attempts=3,
                                     message="waiting to try again: [503 down]")  # fmt: skip
    recently = timezone.now() - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT * 0.8)
    JobItem.objects.filter(pk=waiting.pk).update(updated_at=recently)
    assert jobs_resume.delay().get() == 0
    assert JobItem.objects.get(pk=waiting.pk).attempts == 3


def bulk_units_spent() -> int:
    """Units of the bulk share taken in the current and the previous budget window."""
    import time

    from django.core.cache import cache

    window = int(time.time() // 10)  # a sixth of the default minute
    return sum(cache.get(f"si-budget:bulk:{w}", 0) for w in (window - 1, window))


def test_a_jobs_calls_count_as_bulk_work_and_a_direct_call_does_not(three, simulator):
    from tenants.services import members_sync

    members_sync(customer=three[0])
    assert bulk_units_spent() == 0  # a person's (or a command's) call: not bulk
    calls = sum(simulator.stats()["requests"].values())
    customers_job(three, kind="sync_members")
    spent = sum(simulator.stats()["requests"].values()) - calls
    assert spent > 0 and bulk_units_spent() == spent  # every call of the job, retries too
