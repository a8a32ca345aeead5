"""Link tokens are bound to the server secret and to one purpose."""

from __future__ import annotations

import uuid

from marketplace.access import tokens

SECRET = "s" * 40


def test_a_token_reads_back_only_with_its_secret_and_purpose() -> None:
    link_id = uuid.uuid4()
    token = tokens.mint(SECRET, "choose_visit_time", link_id)
    assert tokens.read(SECRET, "choose_visit_time", token) == link_id
    assert tokens.read(SECRET, "verify_email", token) is None
    assert tokens.read("x" * 40, "choose_visit_time", token) is None
    head, random_part, signature = token.split(".")
    other_id = tokens.mint(SECRET, "choose_visit_time", uuid.uuid4()).split(".")[0]
    assert tokens.read(SECRET, "choose_visit_time", f"{other_id}.{random_part}.{signature}") is None
    assert tokens.read(SECRET, "choose_visit_time", f"{head}.{random_part}") is None
    assert tokens.mint(SECRET, "choose_visit_time", link_id) != token  # fresh randomness each time
    assert len(tokens.digest(token)) == 64 and tokens.digest(token) != token
