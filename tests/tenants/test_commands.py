"""Operators' commands: selection, dry runs, progress, exit status, and no secrets printed."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.models import Customer, EntityApiKey, Membership, StaffAction, SyncState
from tenants.services import customer_provision

from .test_encryption import raw_value

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_provision_all_pending_with_progress_and_dry_run(make_customer, simulator):
    make_customer(slug="a-co")
    make_customer(slug="b-co")
    assert "would provision" in run("provision_customers", "--all-pending", "--dry-run")
    assert simulator.stats()["entities"] == 0
    out = run("provision_customers", "--all-pending")
    assert "[1/2] a-co: provisioned" in out and "[2/2] b-co: provisioned" in out
    assert simulator.stats()["entities"] == 2
    assert "0 customer(s) done" in run("provision_customers", "--all-pending")


def test_failures_exit_non_zero_and_name_the_customer(make_customer, simulator):
    make_customer(slug="down-co")
    simulator.fault(path_prefix="/entities", method="POST", status=503, count=9)
    with pytest.raises(CommandError, match="1 of 1 customer"):
        run("provision_customers", "--customer", "down-co")
    assert Customer.objects.get(slug="down-co").provisioning_state == "failed"


@pytest.mark.parametrize(
    "command",
    [
        ("rotate_entity_keys",),
        ("rotate_webhook_secrets",),
        ("register_webhooks",),
        ("update_entity_details",),
        ("usage_compare", "--month", "2026-11"),
    ],
    ids=lambda c: c[0],
)
def test_a_dry_run_refuses_what_the_real_run_refuses(make_customer, simulator, command):
    make_customer(slug="new-co")  # not provisioned: the real run fails on it
    with pytest.raises(CommandError, match="1 of 1 customer"):
        run(*command, "--customer", "new-co")
    out = StringIO()
    with pytest.raises(CommandError, match="Dry run: 1 of 1 customer"):
        call_command(*command, "--customer", "new-co", "--dry-run", stdout=out)
    assert "[1/1] new-co: FAILED" in out.getvalue() and "would" not in out.getvalue()
    assert simulator.stats()["entities"] == 0


def test_a_dry_run_refuses_to_provision_an_offboarded_customer(make_customer, simulator):
    from tenants.services import customer_offboard

    customer = customer_provision(customer=make_customer(slug="gone-co"), actor="t")
    customer_offboard(customer=customer, actor="t")
    for extra in ((), ("--dry-run",)):
        out = StringIO()
        with pytest.raises(CommandError, match="1 of 1 customer"):
            call_command("provision_customers", "--customer", "gone-co", *extra, stdout=out)
        assert "has been offboarded" in out.getvalue()
    assert simulator.stats()["entities"] == 1


@pytest.mark.parametrize(
    ("command", "provisioned"),
    [
        # Provisioned, sync_members still runs on it: offboarding removed every user.
        (("sync_members",), False),
        (("usage_compare", "--month", "2026-11"), False),
        (("usage_compare", "--month", "2026-11"), True),
    ],
    ids=["sync_members-never-provisioned", "usage_compare-never-provisioned", "usage_compare"],
)
def test_an_offboarded_customer_is_refused_as_such(make_customer, simulator, command, provisioned):
    from tenants.services import customer_offboard

    customer = make_customer(slug="gone-co")
    if provisioned:
        customer = customer_provision(customer=customer, actor="t")
    customer_offboard(customer=customer, actor="t")
    calls = sum(simulator.stats()["requests"].values())
    for extra in ((), ("--dry-run",)):
        out = StringIO()
        with pytest.raises(CommandError, match="1 of 1 customer"):
            call_command(*command, "--customer", "gone-co", *extra, stdout=out)
        assert "gone-co: FAILED: " in out.getvalue() and "has been offboarded" in out.getvalue()
    assert sum(simulator.stats()["requests"].values()) == calls  # nothing asked upstream


def test_a_secret_no_key_reads_fails_its_customer_and_the_run_goes_on(
    make_customer, simulator, settings
):
    first = customer_provision(customer=make_customer(slug="a-co"), actor="t")
    customer_provision(customer=make_customer(slug="b-co"), actor="t")
    hooks = simulator.stats()["webhooks"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key is lost
    out = StringIO()
    with pytest.raises(CommandError, match="2 of 2 customer"):
        call_command("register_webhooks", "--all", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/2] a-co: FAILED") and lines[1].startswith("[2/2] b-co: FAILED")
    assert "decrypt" in out.getvalue()
    assert first.webhook_endpoints.active().count() == 1
    assert simulator.stats()["webhooks"] == hooks


@pytest.mark.parametrize("size", ["0", "100001", "99999999999999999999"])
def test_reencrypt_refuses_a_batch_size_out_of_range(db, size):
    with pytest.raises(CommandError, match="--batch-size must be from 1 to 100000"):
        run("reencrypt_secrets", "--batch-size", size)


def test_unknown_slug_is_refused():
    with pytest.raises(CommandError, match="No customer with slug: nope"):
        run("sync_members", "--customer", "nope")


def test_rotate_prints_hints_never_keys(make_customer, simulator):
    customer = customer_provision(customer=make_customer(slug="rot"), actor="t")
    old = customer.api_keys.active().get().key
    out = run("rotate_entity_keys", "--customer", "rot")
    new = customer.api_keys.active().get().key
    assert "rotated (now ek_sandbox_" in out
    assert old not in out and new not in out and new != old


def test_sync_members_dry_run_lists_changes(make_customer, make_member, simulator):
    customer = customer_provision(customer=make_customer(slug="syn"), actor="t")
    make_member(customer, "late@syn.example", "editor")
    assert "would add late@syn.example as editor" in run("sync_members", "--all", "--dry-run")
    assert simulator.stats()["users"] == 0
    assert "add late@syn.example as editor" in run("sync_members", "--all")
    assert simulator.stats()["users"] == 1
    assert "[1/1] syn: in step\n" in run("sync_members", "--all", "--dry-run")  # no "would"


def test_reencrypt_moves_every_row_to_the_new_key_and_resumes(make_customer, settings):
    customer = make_customer()
    for n in range(5):
        EntityApiKey.objects.create(
            customer=customer,
            key=f"ek_sandbox_{n:032x}",
            prefix_hint="h",
            revoked_at="2026-01-01T00:00:00Z",
        )
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = run("reencrypt_secrets", "--dry-run", "--batch-size", "2")
    assert "5 would re-encrypt" in out
    assert "2 rows: 2 would re-encrypt" in out and "re-encrypted" not in out  # nothing was
    out = run("reencrypt_secrets", "--batch-size", "2")
    assert "2 rows:" in out and "Done: 5 rows, 5 re-encrypted, 0 already current." in out
    assert "Done: 5 rows, 0 re-encrypted, 5 already current." in run("reencrypt_secrets")
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can go
    keys = sorted(k.key for k in EntityApiKey.objects.all())
    assert keys == [f"ek_sandbox_{n:032x}" for n in range(5)]
    assert Fernet(new).decrypt(raw_value(EntityApiKey.objects.first().pk).encode())


def test_reencrypt_skips_rows_no_key_decrypts_and_names_them(make_customer, settings):
    lost = EntityApiKey.objects.create(
        customer=make_customer(), key="ek_sandbox_" + "1" * 32, prefix_hint="h"
    )
    readable = EntityApiKey.objects.create(
        customer=make_customer(), key="ek_sandbox_" + "2" * 32, prefix_hint="h2"
    )
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    with connection.cursor() as cursor:  # this one row under a key nobody has any more
        cursor.execute(
            "UPDATE tenants_entityapikey SET key = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"ek_sandbox_x").decode(), lost.pk],
        )
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    out = run("reencrypt_secrets")  # exits 0: the old key may go now
    assert "Done: 2 rows, 1 re-encrypted, 0 already current." in out
    assert f"1 row(s) decrypt with no configured key and were skipped (ids {lost.pk})" in out
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert EntityApiKey.objects.get(pk=readable.pk).key == "ek_sandbox_" + "2" * 32


CSV_OK = """name,slug,country,city,tax_number,is_tax_subject,access_mode,members
Acme d.o.o.,acme,Slovenia,Ljubljana,SI123,yes,user,ana@acme.example:admin;bo@acme.example
Globex GmbH,globex,Germany,Berlin,,no,api_key,cy@globex.example:editor
"""


def test_import_with_provision(tmp_path, simulator, django_capture_on_commit_callbacks):
    path = tmp_path / "customers.csv"
    path.write_text(CSV_OK)
    with django_capture_on_commit_callbacks(execute=True):
        out = run("import_customers", str(path), "--provision")
    assert "Imported 2 row(s): 2 new, 0 changed, 0 unchanged." in out and "All provisioned." in out
    acme = Customer.objects.get(slug="acme")
    assert acme.is_tax_subject and acme.is_provisioned
    assert dict(acme.memberships.values_list("user__email", "role")) == {
        "ana@acme.example": "admin",
        "bo@acme.example": "viewer",
    }
    assert Customer.objects.get(slug="globex").access_mode == "api_key"
    assert simulator.stats()["entities"] == 2 and simulator.stats()["users"] == 2


def test_import_with_provision_rerun_finishes_a_failed_provisioning(
    tmp_path, simulator, django_capture_on_commit_callbacks
):
    path = tmp_path / "customers.csv"
    path.write_text(CSV_OK)
    simulator.fault(path_prefix="/entities", method="POST", status=503, count=1000)
    with pytest.raises(CommandError, match="2 customer"):
        run("import_customers", str(path), "--provision")
    simulator.clear_faults()
    with django_capture_on_commit_callbacks(execute=True):
        out = run("import_customers", str(path), "--provision")  # the rows are unchanged now
    assert "0 new, 0 changed, 2 unchanged" in out
    assert "[1/2] acme: provisioned" in out and "[2/2] globex: provisioned" in out
    assert "All provisioned." in out
    assert all(c.is_provisioned for c in Customer.objects.all())
    assert simulator.stats()["entities"] == 2
    again = run("import_customers", str(path), "--provision")
    assert "[1/2] acme: already provisioned" in again
    assert simulator.stats()["entities"] == 2


def test_import_reports_every_bad_row_and_imports_nothing(tmp_path, make_customer):
    make_customer(slug="taken")
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,slug,country,access_mode,members\n"
        "Good,good,Italy,user,\n"
        ",taken,Italy,user,\n"
        "Bad role,bad-role,Italy,user,x@y.example:owner\n"
        "Twice,good,Italy,sometimes,\n"
    )
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 4 error"):
        call_command("import_customers", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "row 3, column name: This field is required.",
        "row 4, column members: 'owner' is not a role (viewer, editor, admin).",
        "row 5, column access_mode: Select a valid choice. sometimes is not one of the "
        "available choices.",
        "row 5, column slug: 'good' repeats row 2",
    ]
    assert not Customer.objects.filter(slug="good").exists()


def test_import_error_lines_name_row_and_column(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("name,slug,country,colour\nA,a,Italy,red\n")
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    assert "unknown column(s): colour" in err.getvalue()
    path.write_text("name,slug,country,members\nA,a,,nobody\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    text = err.getvalue()
    assert "row 2, column country: This field is required." in text
    assert "row 2, column members: 'nobody': Enter a valid email address." in text


def test_import_rejects_a_line_break_a_long_email_and_a_repeated_member(tmp_path):
    """Each is a message naming row and column, never a traceback, and nothing is imported."""
    long_email = "a" * 300 + "@acme.example"
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,slug,country,members\n"
        '"Acme\nd.o.o.",acme,Slovenia,\n'
        f"Beta,beta,Slovenia,{long_email}:viewer\n"
        "Gamma,gamma,Slovenia,bo@gamma.example:viewer;BO@gamma.example:admin\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)
    text = err.getvalue()
    assert (
        "row 2, column name: Line breaks, control and invisible characters are not allowed" in text
    )
    assert "row 3, column members: aaaa" in text and "(254 characters)" in text
    assert long_email not in text
    assert "row 4, column members: bo@gamma.example is listed twice in this row." in text
    assert "Traceback" not in text
    assert Customer.objects.count() == 0


def test_import_checks_space_invoices_field_limits(tmp_path, simulator):
    from io import StringIO

    path = tmp_path / "long.csv"
    path.write_text(f"name,slug,country,post_code,city\nA,a,Italy,{'1' * 21},{'c' * 101}\n")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 2 error"):
        call_command("import_customers", str(path), stderr=err)
    text = err.getvalue()
    assert "row 2, column post_code: Ensure this value has at most 20 characters" in text
    assert "row 2, column city: Ensure this value has at most 100 characters" in text
    assert not Customer.objects.exists() and simulator.stats()["entities"] == 0


def test_import_refuses_a_turned_off_account_and_a_pending_removal_on_their_rows(
    tmp_path, make_customer, make_member
):
    acme = make_customer(name="Acme", slug="acme")
    make_member(acme, "gone@acme.example", role="editor")
    Membership.objects.filter(customer=acme).update(sync_state=SyncState.REMOVING)
    off = make_member(make_customer(name="Other", slug="other"), "off@x.example").user
    off.is_active = False
    off.save(update_fields=["is_active"])
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,slug,country,members\n"
        "Acme,acme,si,gone@acme.example:admin\n"
        "New,new,si,ok@new.example;OFF@x.example:editor\n"
    )
    for dry_run in (["--dry-run"], []):
        err = StringIO()
        with pytest.raises(CommandError, match="Nothing imported: 2 error"):
            call_command("import_customers", str(path), *dry_run, stderr=err)
        assert err.getvalue().splitlines() == [
            "row 2, column members: gone@acme.example is still being removed from this team: "
            "list them again once Space Invoices has confirmed the removal.",
            "row 3, column members: off@x.example's account is turned off, so they cannot be "
            "added: turn it on again first.",
        ]
    assert not Customer.objects.filter(slug="new").exists()
    assert acme.memberships.get().role == "editor"


def test_import_changes_a_role_it_names_and_keeps_one_it_does_not(
    tmp_path, make_customer, make_member
):
    acme = make_customer(name="Acme", slug="acme")
    make_member(acme, "ana@acme.example", role="admin")
    make_member(acme, "bo@acme.example", role="viewer")
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,members\nAcme,acme,si,ana@acme.example;Bo@acme.example\n")
    assert "0 new, 0 changed, 1 unchanged" in run("import_customers", str(path))
    path.write_text(
        "name,slug,country,members\nAcme,acme,si,ana@acme.example;bo@acme.example:editor\n"
    )
    assert "0 new, 1 changed, 0 unchanged" in run("import_customers", str(path), "--dry-run")
    assert "0 new, 1 changed, 0 unchanged" in run("import_customers", str(path))
    roles = dict(acme.memberships.values_list("user__email", "role"))
    assert roles == {"ana@acme.example": "admin", "bo@acme.example": "editor"}
    audit = StaffAction.objects.filter(customer=acme).values_list("action", "detail")
    assert ("change_role", "bo@acme.example: viewer → editor (created in Space Invoices "
            "when the customer is provisioned)") in list(audit)  # fmt: skip
    assert "0 new, 0 changed, 1 unchanged" in run("import_customers", str(path))


def test_import_keeps_an_admin_in_every_team_it_changes(tmp_path, make_customer, make_member):
    acme = make_customer(name="Acme", slug="acme")
    make_member(acme, "ana@acme.example", role="admin")
    make_member(acme, "bo@acme.example", role="viewer")
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,members\nAcme,acme,si,ana@acme.example:viewer\n")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 1 error"):
        call_command("import_customers", str(path), "--dry-run", stderr=err)
    assert err.getvalue().splitlines() == [
        "row 2, column members: the row leaves the team without an admin (ana@acme.example "
        "demoted): keep one as admin, or name another admin in the row"
    ]
    # Handing over in one row: bo is made admin before ana stops being one.
    path.write_text(
        "name,slug,country,members\nAcme,acme,si,ana@acme.example:viewer;bo@acme.example:admin\n"
    )
    assert "0 new, 1 changed, 0 unchanged" in run("import_customers", str(path))
    roles = dict(acme.memberships.values_list("user__email", "role"))
    assert roles == {"ana@acme.example": "viewer", "bo@acme.example": "admin"}


def test_an_imported_role_change_says_what_it_waits_for_only_where_it_waits(
    tmp_path, make_customer, make_member, simulator
):
    keyed = make_customer(name="Keyed", slug="keyed", access_mode="api_key")
    make_member(keyed, "cy@keyed.example")
    users = customer_provision(customer=make_customer(name="Users", slug="users"), actor="t")
    make_member(users, "di@users.example")
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,slug,country,members\n"
        "Keyed,keyed,si,cy@keyed.example:editor\nUsers,users,si,di@users.example:editor\n"
    )
    run("import_customers", str(path))
    details = dict(
        StaffAction.objects.filter(action="change_role").values_list("customer__slug", "detail")
    )
    assert details == {
        "keyed": "cy@keyed.example: viewer → editor",  # in effect at once: no users upstream
        "users": "di@users.example: viewer → editor (applied in Space Invoices by the next sync)",
    }


def test_an_import_is_done_even_when_the_mail_server_refuses_the_welcome_emails(
    tmp_path, settings, django_capture_on_commit_callbacks, caplog
):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country,members\nMail Co,mail-co,si,m1@mail.example:admin\n")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("import_customers", str(path))
    assert "Imported 1 row(s): 1 new, 0 changed, 0 unchanged." in out
    assert Customer.objects.get(slug="mail-co").memberships.get().user.email == "m1@mail.example"
    assert any("on_commit" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def test_a_large_import_tells_how_far_it_has_got(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country\n" + "".join(f"C{n},c-{n},si\n" for n in range(5_000)))
    out = run("import_customers", str(path), "--dry-run")
    assert out.splitlines() == [
        "… checked 5000 row(s)",
        "Dry run: 5000 valid row(s): 5000 new, 0 changed, 0 unchanged.",
    ]


@pytest.mark.django_db(transaction=True)
def test_import_provisioning_a_customer_busy_elsewhere_fails_it_and_goes_on(
    tmp_path, simulator, settings
):
    import threading

    from django.db import connection

    from tenants.locking import customer_lock

    settings.PORTAL_LOCK_WAIT = 0.2
    path = tmp_path / "customers.csv"
    path.write_text("name,slug,country\nBusy,busy,si\nFree,free,si\n")
    run("import_customers", str(path))
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with customer_lock(Customer.objects.get(slug="busy")):
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        with pytest.raises(CommandError, match="1 customer"):
            run("import_customers", str(path), "--provision")
    finally:
        release.set()
        holder.join(10)
    assert Customer.objects.get(slug="free").is_provisioned
    assert not Customer.objects.get(slug="busy").is_provisioned
