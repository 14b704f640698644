"""The tree: RFC 6962's, built in a stream, with paths that lead every leaf to the root."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from proofs import merkle
from proofs.sources import envelope, leaf_of


def _rfc6962(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 section 2.1, over leaf hashes, as the RFC writes it."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc6962(leaves[:k]) + _rfc6962(leaves[k:])).digest()


def _leaves(n: int) -> list[str]:
    return [merkle.leaf_digest({"n": i}) for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33])
def test_the_streamed_root_is_rfc_6962s_and_every_path_leads_to_it(n):
    leaves = _leaves(n)
    root = merkle.root_of(leaves)
    assert root == _rfc6962([bytes.fromhex(x) for x in leaves]).hex()
    for index, leaf in enumerate(leaves):
        assert merkle.fold(leaf, merkle.path(leaves, index)) == root


def test_a_path_fails_for_another_leaf_a_swapped_side_or_an_empty_tree():
    leaves = _leaves(5)
    root, steps = merkle.root_of(leaves), merkle.path(leaves, 2)
    assert merkle.fold(leaves[3], steps) != root
    swapped = [{**steps[0], "side": "left" if steps[0]["side"] == "right" else "right"}, *steps[1:]]
    assert merkle.fold(leaves[2], swapped) != root
    with pytest.raises(ValueError):
        merkle.root_of([])
    with pytest.raises(IndexError):
        merkle.path(leaves, 5)


def test_a_leaf_is_not_a_node():
    """The 0x00/0x01 prefixes: two leaves' hashes joined do not pass for a leaf."""
    a, b = _leaves(2)
    assert merkle.leaf_digest({"x": a + b}) != merkle.root_of([a, b])


@pytest.mark.parametrize("record_id", ["0123abcd", "é\"\\x", "42"])
@pytest.mark.parametrize("moment", [dt.datetime(2027, 3, 1, 9, 0, 1, 999999, tzinfo=dt.UTC),
                                    dt.datetime(2027, 3, 1, 11, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                                    dt.datetime(2027, 3, 1, 9, 0, 1)])
def test_the_fast_leaf_is_the_canonical_envelopes_digest(record_id, moment):
    expected = merkle.leaf_digest(envelope("consent", record_id, moment, "d" * 64))
    assert leaf_of("consent", record_id, moment, "d" * 64) == expected
    assert envelope("consent", record_id, moment, "d" * 64)["recorded_at"] == "2027-03-01T09:00:01Z"
