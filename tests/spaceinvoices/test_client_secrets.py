"""No key or token reaches an exception message, a repr or a log line."""

import logging

import pytest

from portal.redaction import RedactingFilter, redact
from spaceinvoices.client import NotFound, Unauthorized


def test_key_in_a_deletion_path_never_reaches_the_logs(si, entity, entity_key, simulator, caplog):
    simulator.fault(path_prefix="/entities/api-keys", method="DELETE", status=503, count=1)
    with caplog.at_level(logging.DEBUG, logger="spaceinvoices.client"):
        si.api_key_delete(entity.id, entity_key)
        with pytest.raises(NotFound) as caught:
            si.api_key_delete(entity.id, entity_key)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/entities/api-keys/ek_sandbox_***" in text  # the line is there, masked
    assert entity_key not in text
    assert entity_key not in str(caught.value) and entity_key not in repr(caught.value)


def test_a_rejected_entity_key_is_not_in_the_error(si, entity, entity_key):
    si.api_key_delete(entity.id, entity_key)
    with pytest.raises(Unauthorized) as caught:
        si.with_key(entity_key).api_keys_list(entity.id)
    assert entity_key not in str(caught.value) + repr(caught.value)
    assert entity_key not in repr(si.with_key(entity_key))


def test_logging_filter_masks_messages_arguments_and_tracebacks():
    key = "ek_live_" + "ab" * 16
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "deleting %s", (key,), None)
    try:
        raise ValueError(f"bad key {key} in https://x/embed?token=abc123&x=1")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert record.getMessage() == "deleting ek_live_***"
    assert key not in record.exc_text and "abc123" not in record.exc_text
    assert "token=***" in record.exc_text


@pytest.mark.parametrize(
    "raw",
    [
        "sk_sandbox_0123456789abcdef0123456789abcdef",
        "Authorization: Bearer sit_xyzsecret",
        '{"token": "sit_abcdef"}',
        "gAAAAABn" + "x" * 80,
    ],
)
def test_redact_masks_every_secret_shape(raw):
    masked = redact(raw)
    assert "0123456789abcdef" not in masked
    assert "sit_" not in masked and "x" * 40 not in masked
