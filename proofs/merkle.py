"""The Merkle tree of a seal (the tree of RFC 6962, certificate transparency's): a leaf is
``SHA-256(0x00 || canonical JSON)``, a node ``SHA-256(0x01 || left || right)``, pairs formed
level by level from the left, an odd last node carried up unchanged. Pure functions."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

LEAF, NODE = b"\x00", b"\x01"
GENESIS = "0" * 64


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on
# each call, built once: the same encoder, so the same text.
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> bytes:
    return CANONICAL.encode(value).encode()


def leaf_digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(LEAF + canonical(document)).hexdigest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


class RootBuilder:
    """The root of a stream of leaf digests in O(log n) memory: equal-height subtrees merge
    as they complete, and what is left merges from the right at the end."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.count = 0

    def add(self, digest_hex: str) -> None:
        self.add_digest(bytes.fromhex(digest_hex))

    def add_digest(self, node: bytes) -> None:
        """``add`` for a digest given as its 32 bytes."""
        height, stack = 0, self._stack
        while stack and stack[-1][0] == height:
            node = _node(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.count += 1

    def root(self) -> str:
        if not self._stack:
            raise ValueError("an empty tree has no root")
        node = self._stack[-1][1]
        for _height, left in reversed(self._stack[:-1]):
            node = _node(left, node)
        return node.hex()


def root_of(digests: Iterable[str]) -> str:
    builder = RootBuilder()
    for digest in digests:
        builder.add(digest)
    return builder.root()


def path(digests: list[str], index: int) -> list[dict[str, str]]:
    """The siblings from leaf ``index`` up to the root, each with the side it stands on."""
    if not 0 <= index < len(digests):
        raise IndexError(index)
    level = [bytes.fromhex(d) for d in digests]
    steps = []
    while len(level) > 1:
        if index % 2:
            steps.append({"side": "left", "hash": level[index - 1].hex()})
        elif index + 1 < len(level):
            steps.append({"side": "right", "hash": level[index + 1].hex()})
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
        index //= 2
    return steps


def fold(leaf_hex: str, steps: Iterable[dict[str, str]]) -> str:
    """The root a leaf and its path lead to."""
    node = bytes.fromhex(leaf_hex)
    for step in steps:
        sibling = bytes.fromhex(step["hash"])
        node = _node(sibling, node) if step["side"] == "left" else _node(node, sibling)
    return node.hex()


def seal_fields(number: int, previous_hash: str, merkle_root: str, leaf_count: int, sealed_at: str) -> dict[str, Any]:
    return {"number": number, "previous_hash": previous_hash, "merkle_root": merkle_root,
            "leaf_count": leaf_count, "sealed_at": sealed_at}


def seal_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()
