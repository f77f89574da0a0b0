"""A key-mode launch's key name: made and read back only with the portal's secret, for the
entity and the time it names, spelt exactly as it was made."""

from spaceinvoices.contract import launch_key_issued, launch_key_name

SECRET = b"s" * 32
ENTITY = "ent_" + "a" * 24


def made(issued_at: int = 1_796_000_000, nonce: str = "0a1b2c3d") -> str:
    return launch_key_name(entity_id=ENTITY, issued_at=issued_at, nonce=nonce, secret=SECRET)


def test_a_name_reads_back_as_the_time_it_was_made():
    name = made()
    assert name.startswith("embed launch 1796000000 0a1b2c3d ")
    assert launch_key_issued(name, entity_id=ENTITY, secret=SECRET) == 1_796_000_000


def test_two_launches_in_the_same_second_have_names_of_their_own(settings):
    from spaceinvoices.factory import launch_key_name as named_now

    assert named_now(ENTITY) != named_now(ENTITY)
    assert made(nonce="00000001") != made(nonce="00000002")


def test_a_name_not_made_so_reads_as_none():
    name = made()
    tag = name.rsplit(" ", 1)[1]
    for forged, entity, secret in [
        (name.replace("1796000000", "1796000600"), ENTITY, SECRET),  # a later time
        (name.replace("0a1b2c3d", "0a1b2c3e"), ENTITY, SECRET),  # another nonce
        (name.replace("1796000000", "01796000000"), ENTITY, SECRET),  # the time spelt anew
        (name.replace("1796000000", "\uff11796000000"), ENTITY, SECRET),  # a fullwidth 1
        (name.replace("1796000000", "\u0661796000000"), ENTITY, SECRET),  # an Arabic-Indic 1
        (name.replace(tag, tag.upper()), ENTITY, SECRET),
        (name, "ent_" + "b" * 24, SECRET),  # another entity's
        (name, ENTITY, b"t" * 32),  # another secret's
        ("embed launch", ENTITY, SECRET),  # the plain name
        (name + " ", ENTITY, SECRET),
        (None, ENTITY, SECRET),
    ]:
        assert launch_key_issued(forged, entity_id=entity, secret=secret) is None, forged
