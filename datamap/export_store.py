"""Where export archives live: in the service database, in 1 MiB chunks.

Any web process of the deployment serves a download, and any sweep or purge, on any host,
removes the archive with its row (one transaction, no file left on a disk somewhere).
Writing and reading go one chunk at a time, so memory stays bounded whatever the size.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Model, db

CHUNK_BYTES = 1 << 20


class DataExportChunk(Model):
    """One piece of an export's ZIP; ``seq`` orders them from 0."""

    __tablename__ = "data_export_chunks"

    export_id: Mapped[str] = mapped_column(String(32), ForeignKey("data_exports.export_id", ondelete="CASCADE"),
                                           primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


CHUNKS = DataExportChunk.__table__
_INSERT = insert(CHUNKS)
_READ = select(CHUNKS.c.data).where(CHUNKS.c.export_id == db.bindparam("of_export"), CHUNKS.c.seq == db.bindparam("at"))


def save(export_id: str, source: BinaryIO) -> int:
    """Copy ``source`` into the export's chunks (its row must be flushed first); returns the size."""
    size = 0
    for seq, piece in enumerate(iter(lambda: source.read(CHUNK_BYTES), b"")):
        db.session.execute(_INSERT, {"export_id": export_id, "seq": seq, "data": piece})
        size += len(piece)
    return size


def has_content(export_id: str) -> bool:
    return db.session.execute(select(CHUNKS.c.seq).where(CHUNKS.c.export_id == export_id).limit(1)).first() is not None


def read(export_id: str) -> Iterator[bytes]:
    """The archive's bytes, one chunk per query (a download holds one chunk in memory)."""
    seq = 0
    while True:
        piece = db.session.execute(_READ, {"of_export": export_id, "at": seq}).scalar()
        if piece is None:
            return
        yield bytes(piece)
        seq += 1


def remove(export_ids: Iterable[str]) -> None:
    """Delete the archives of these exports (before their rows: SQLite may not cascade)."""
    ids = list(export_ids)
    if ids:
        db.session.execute(delete(CHUNKS).where(CHUNKS.c.export_id.in_(ids)))
