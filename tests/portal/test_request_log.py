"""The request line goes out even when the user cannot be read (the database failed); a
refusal is logged as one line."""

from django.db import OperationalError
from django.http import HttpResponseServerError
from django.utils.functional import SimpleLazyObject

from portal.request_log import FieldsFormatter, RequestLogMiddleware


def _unreadable_user():
    raise OperationalError("server closed the connection unexpectedly")


def test_a_user_that_cannot_be_read_leaves_the_answer_and_its_line_alone(rf, caplog):
    page = HttpResponseServerError("the branded error page")
    middleware = RequestLogMiddleware(lambda request: page)
    request = rf.get("/customers/acme/")
    request.user = SimpleLazyObject(_unreadable_user)
    with caplog.at_level("INFO", logger="portal.request"):
        answer = middleware(request)
    assert answer is page and len(answer["X-Request-Id"]) == 32
    [record] = [r for r in caplog.records if r.name == "portal.request"]
    line = FieldsFormatter("%(message)s").format(record)
    assert "status=500" in line and "user=?" in line


def test_a_refusal_is_one_warning_line_without_a_traceback(client, db, caplog):
    from tenants.models import User

    bare = User.objects.create_user(email="bare@partner.example", is_staff=True)
    client.force_login(bare)
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/admin/activity/usageevent/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /admin/activity/usageevent/"
    assert record.exc_info is None and "Traceback" not in caplog.text
