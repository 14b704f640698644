"""Recompute every seal and stop at the first thing that no longer matches.

Seals are read in order, and each seal's leaves, with their records, a seal at a time: memory
stays bounded by one seal's rows, whatever the number of records. For each seal, in order:
its link to the previous seal, its own hash (and the journal's, when ``SEAL_JOURNAL`` is set),
its root recomputed from its leaves, then each record against its leaf (a missing record is
lawful only when an erasure noted it). Last, no record older than the sealer's look-back may
be left outside every seal (an inserted row)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, select

from consent_service.extensions import db

from . import journal, merkle, sealer
from .models import ProofErasure, Seal, SealLeaf
from .sources import Source, leaf_of, record_digest, sources, utc_text

SEALS, LEAVES, ERASURES = Seal.__table__, SealLeaf.__table__, ProofErasure.__table__
READ_CHUNK = 5000

# problem code -> (English, French) sentence; {subject} is a seal number or a record id.
PROBLEMS = {
    "edited_record": ("record {subject} was changed after it was sealed",
                      "l'enregistrement {subject} a été modifié après son scellement"),
    "deleted_record": ("record {subject} was deleted, and no erasure accounts for it",
                       "l'enregistrement {subject} a été supprimé sans qu'aucun effacement ne l'explique"),
    "inserted_record": ("record {subject} is in no seal though it is older than the last pass: it was inserted",
                        "l'enregistrement {subject} n'est dans aucun sceau alors qu'il précède le dernier "
                        "passage : il a été inséré"),
    "edited_seal": ("seal {subject} was changed: its hash no longer matches its content",
                    "le sceau {subject} a été modifié : son empreinte ne correspond plus à son contenu"),
    "broken_chain": ("seal {subject} no longer chains to the seal before it (one of the two was rewritten)",
                     "le sceau {subject} n'est plus chaîné au sceau précédent (l'un des deux a été réécrit)"),
    "edited_leaves": ("seal {subject}: its records no longer add up to its root (a leaf was added, removed "
                      "or changed)", "sceau {subject} : ses enregistrements ne redonnent plus sa racine (une "
                      "feuille a été ajoutée, retirée ou modifiée)"),
    "missing_seal": ("seal {subject} is missing", "le sceau {subject} est manquant"),
    "journal_mismatch": ("seal {subject} differs from the one written in the seal journal",
                         "le sceau {subject} diffère de celui inscrit dans le journal des sceaux"),
}


@dataclasses.dataclass
class Outcome:
    seals: int = 0
    records: int = 0
    problem: str | None = None
    subject: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None

    def describe(self, lang: str = "en") -> str:
        if self.problem is None:
            return ""
        english, french = PROBLEMS[self.problem]
        return (french if lang == "fr" else english).format(subject=self.subject)


class Failed(Exception):
    def __init__(self, problem: str, subject: Any) -> None:
        super().__init__(problem)
        self.problem, self.subject = problem, str(subject)


def _since_start(since: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(since, dt.time(), dt.UTC) if since else None


def _swept_before() -> dict[str, dt.datetime]:
    rows = db.session.execute(select(ERASURES.c.kind, func.max(ERASURES.c.recorded_before))
                              .where(ERASURES.c.recorded_before.is_not(None)).group_by(ERASURES.c.kind))
    return {kind: before for kind, before in rows}


def _spans(number: int) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """For each kind in a seal, the earliest and latest times of its leaves."""
    rows = db.session.execute(select(LEAVES.c.kind, func.min(LEAVES.c.recorded_at), func.max(LEAVES.c.recorded_at))
                              .where(LEAVES.c.seal_number == number).group_by(LEAVES.c.kind))
    return {kind: (low, high) for kind, low, high in rows}


def _with_records(source: Source, number: int, span: tuple[dt.datetime, dt.datetime]) -> Select[Any]:
    """A seal's leaves of one kind in order, each with its record's columns under their own
    names (NULL when the row is gone) and whether an erasure noted it. Records are looked for
    only within ``span``, the times of the seal's leaves of that kind: the database reads that
    stretch of the table (or of its partitions), never the whole of it once per seal."""
    noted = exists().where(ERASURES.c.kind == LEAVES.c.kind, ERASURES.c.record_id == LEAVES.c.record_id)
    by_time = db.session.get_bind().dialect.name == "postgresql"
    within = source.time.between(*span)
    leaf = [LEAVES.c.position.label("leaf_position"), LEAVES.c.record_id.label("leaf_id"),
            LEAVES.c.recorded_at.label("leaf_time"), LEAVES.c.digest.label("leaf_digest"), noted.label("leaf_noted")]
    return (select(*leaf, *source.table.columns)
            .select_from(LEAVES.outerjoin(source.table, and_(source.matches(LEAVES, by_time), within)))
            .where(LEAVES.c.seal_number == number, LEAVES.c.kind == source.kind).order_by(LEAVES.c.position)
            .execution_options(yield_per=READ_CHUNK))


def _check_seal(seal: Any, kinds: dict[str, Source], swept: dict[str, dt.datetime], previous: str) -> int:
    """Check one seal in one pass over its leaves, kind after kind (the sealer puts each kind's
    leaves together, in the order of ``sources()``): its root, then its records."""
    fields = merkle.seal_fields(seal.number, seal.previous_hash, seal.merkle_root, seal.leaf_count,
                                utc_text(seal.sealed_at))
    if merkle.seal_hash(fields) != seal.hash:
        raise Failed("edited_seal", seal.number)
    if seal.previous_hash != previous:
        raise Failed("broken_chain", seal.number)
    spans = _spans(seal.number)
    if set(spans) - set(kinds):
        raise Failed("edited_leaves", seal.number)
    root, first_problem = merkle.RootBuilder(), None
    for source in sources():
        if source.kind not in spans:
            continue
        cutoff = swept.get(source.kind)
        for row in db.session.execute(_with_records(source, seal.number, spans[source.kind])):
            values = row._mapping
            if row.leaf_position != root.count:
                raise Failed("edited_leaves", seal.number)
            root.add(leaf_of(source.kind, row.leaf_id, row.leaf_time, row.leaf_digest))
            if first_problem is None:
                first_problem = _record_problem(source, values, cutoff)
    if root.count != seal.leaf_count or not root.count or root.root() != seal.merkle_root:
        raise Failed("edited_leaves", seal.number)
    if first_problem is not None:
        raise first_problem
    return root.count


def _record_problem(source: Source, values: Any, swept: dt.datetime | None) -> Failed | None:
    """What is wrong with a leaf's record, if anything: changed, or gone with no erasure noted."""
    if values[source.key.name] is not None:
        if record_digest(source.fields(values)) != values["leaf_digest"]:
            return Failed("edited_record", values["leaf_id"])
        return None
    if values["leaf_noted"] or (swept is not None and values["leaf_time"] < swept):
        return None
    elsewhere = db.session.execute(select(literal(1)).where(source.key_text() == values["leaf_id"])).first()
    return Failed("edited_record" if elsewhere else "deleted_record", values["leaf_id"])


def _before(number: int) -> tuple[int, str] | None:
    row = db.session.execute(select(SEALS.c.number, SEALS.c.hash).where(SEALS.c.number < number)
                             .order_by(SEALS.c.number.desc()).limit(1)).first()
    return (row.number, row.hash) if row else None


def _inserted(since: dt.datetime | None) -> None:
    last_pass = sealer.scanned_at()
    if last_pass is None:
        return
    cutoff = last_pass - sealer.LATE_COMMIT
    for source in sources():
        query = select(source.key).where(source.time < cutoff, ~exists().where(
            LEAVES.c.kind == source.kind, LEAVES.c.recorded_at == source.time, LEAVES.c.record_id == source.key_text()))
        if since is not None:
            query = query.where(source.time >= since)
        found = db.session.execute(query.order_by(source.time, source.key).limit(1)).scalar_one_or_none()
        if found is not None:
            raise Failed("inserted_record", found)


def verify(since: dt.date | None = None) -> Outcome:
    """Check every seal (sealed on or after ``since``, a UTC day) and the records they cover."""
    outcome = Outcome()
    start = _since_start(since)
    kinds = {source.kind: source for source in sources()}
    swept = _swept_before()
    written = journal.Lookahead()
    expected: int | None = None
    previous = merkle.GENESIS
    try:
        for seal in _stream(start):
            if expected is None:
                before = _before(seal.number)
                expected, previous = (before[0] + 1, before[1]) if before else (1, merkle.GENESIS)
            if seal.number != expected:
                raise Failed("missing_seal", expected)
            outcome.records += _check_seal(seal, kinds, swept, previous)
            in_journal = written.hash_of(seal.number)
            if in_journal is not None and in_journal != seal.hash:
                raise Failed("journal_mismatch", seal.number)
            outcome.seals += 1
            previous, expected = seal.hash, seal.number + 1
        lost = written.beyond((expected or 1) - 1)
        if lost is not None and not db.session.execute(select(SEALS.c.number).where(SEALS.c.number == lost)).first():
            raise Failed("missing_seal", lost)
        _inserted(start)
    except Failed as failed:
        outcome.problem, outcome.subject = failed.problem, failed.subject
    return outcome


def _stream(start: dt.datetime | None):
    """Seals in order, a few at a time (each seal's leaves are read between two chunks)."""
    after = 0
    while True:
        query = select(SEALS).where(SEALS.c.number > after).order_by(SEALS.c.number).limit(100)
        if start is not None:
            query = query.where(SEALS.c.sealed_at >= start)
        chunk = db.session.execute(query).all()
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].number
