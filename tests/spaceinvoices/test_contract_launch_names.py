"""A key-mode launch's key name: made and read back only with the portal's secret, for the
entity and the time it names."""

from spaceinvoices.contract import launch_key_issued, launch_key_name

SECRET = b"s" * 32
ENTITY = "ent_" + "a" * 24


def test_a_name_reads_back_as_the_time_it_was_made():
    name = launch_key_name(entity_id=ENTITY, issued_at=1_796_000_000, secret=SECRET)
    assert name.startswith("embed launch 1796000000 ")
    assert launch_key_issued(name, entity_id=ENTITY, secret=SECRET) == 1_796_000_000


def test_a_name_not_made_so_reads_as_none():
    name = launch_key_name(entity_id=ENTITY, issued_at=1_796_000_000, secret=SECRET)
    later = name.replace("1796000000", "1796000600")  # a later time, the old tag
    for forged, entity, secret in [
        (later, ENTITY, SECRET),
        (name, "ent_" + "b" * 24, SECRET),  # another entity's
        (name, ENTITY, b"t" * 32),  # another secret's
        ("embed launch", ENTITY, SECRET),  # the plain name
        (name + " ", ENTITY, SECRET),
        (None, ENTITY, SECRET),
    ]:
        assert launch_key_issued(forged, entity_id=entity, secret=secret) is None
