"""The redaction's quick look: a text without any secret's literal is left as it is at the
cost of one search, and never at the cost of a secret."""

import pytest

from portal.redaction import HINT, PATTERNS, redact
from spaceinvoices.redaction import redact as redact_with

# One text in each secret shape, as the patterns describe them, written in odd cases too.
SHAPED = [
    "key sk_live_AbC123 used",
    "key EK_sandbox_x9 refused",  # upper case: not a key shape, left alone either way
    "ek_sandbox_Zz9 in a DELETE path /entities/api-keys/ek_sandbox_Zz9",
    "signing whsec_q1w2e3r4",
    "Authorization: BEARER abc.def",
    "https://embed.example/?a=1&TOKEN=eyJ.x.y",
    '{"Token": "opaque-123"}',
    "stored gAAAAABlYWFhYWFhYWFhYWFhYWFhYWFh",
    "GET /accounts/reset/MQ/abc-123-def/ 302",
    "GET /login/?next=/&Password=hunter2 200",
    "GET /admin/?api_key=abc123&q=x 200",
    "GET /x/?a=1;secret=s3 200",
    "GET /x/?client_secret=s3&new_password1=p&x-api-key=k&api%5Fkey=k&access_token=t 200",
]


@pytest.mark.parametrize("text", SHAPED)
def test_the_quick_look_masks_exactly_what_the_full_one_does(text):
    assert redact(text) == redact_with(text, PATTERNS, hint=None)


def test_each_shape_contains_a_literal_of_the_hint():
    masked = [t for t in SHAPED if redact_with(t, PATTERNS, hint=None) != t]
    assert len(masked) == len(SHAPED) - 1  # all but the upper-case look-alike
    assert all(HINT.search(t) for t in masked)


def test_a_secret_in_a_query_is_masked_and_its_neighbours_kept():
    line = "path=/login/?next=/home/&password=hunter2&api_key=k1&monkey=ok&q=1"
    assert redact(line) == "path=/login/?next=/home/&password=***&api_key=***&monkey=ok&q=1"


def test_a_secret_named_by_its_last_word_is_masked_as_a_browser_writes_it():
    line = "/x/?client_secret=s&new_password1=p&x-api-key=k&API%5FKEY=k&access_token=t&page=2"
    assert redact(line) == (
        "/x/?client_secret=***&new_password1=***&x-api-key=***&API%5FKEY=***&access_token=***"
        "&page=2"
    )


@pytest.mark.parametrize(
    "name",
    [
        "accessToken",
        "clientSecret",
        "pwd",
        "password_confirmation",
        "user%5Bpassword%5D",
        "user[password]",
        "newPassword",
        "secretKey",
        "privateKey",
        "authToken",
        "pass",
        "auth",
        "authorization",
        "signature",
        "sig",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "code",
        "otp",
        "session",
        "credentials",
        "csrfmiddlewaretoken",
        "api.key",
        "client.secret",
        "key2",
        "token2",
        "secret1",
        "passwd1",
        "mypassword",
    ],
)
def test_every_spelling_of_a_secret_parameter_is_masked(name):
    assert redact(f"/x/?page=2&{name}=SEKRIT&q=1") == f"/x/?page=2&{name}=***&q=1"


@pytest.mark.parametrize(
    "name",
    [
        "page",
        "q",
        "monkey",
        "o",
        "next",
        "keyword",
        "keys",
        "turkey",
        "tokens",
        "secretary",
        "passwordless",
    ],
)
def test_an_ordinary_parameter_is_kept(name):
    assert redact(f"/x/?{name}=value&a=1") == f"/x/?{name}=value&a=1"


def test_a_secret_inside_another_parameter_s_value_is_masked_however_encoded():
    assert redact("/admin/login/?next=/admin/x/%3Fpassword%3DSEKRIT%26api_key%3DK%26page%3D2") == (
        "/admin/login/?next=/admin/x/%3Fpassword%3D***%26api_key%3D***%26page%3D2"
    )
    assert (
        redact("/login/?next=/customers/acme/?token=T") == "/login/?next=/customers/acme/?token=***"
    )


def test_a_quote_in_a_secret_does_not_end_its_mask():
    assert redact("/x/?password=ab'SEKRIT&q=1") == "/x/?password=***&q=1"


def test_a_plain_line_is_returned_as_it_came():
    line = "request method=POST path=/customers/acme/open-invoicing/ status=303"
    assert redact(line) == line and not HINT.search(line)
