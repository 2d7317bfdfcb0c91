"""The one-step ledger import (``tracker import ledger``) with reading and writing overlapped.

Reading a big export and writing its rows used to run one after the other, so an import could
never beat read time + write time.  Here a reader reads the file in chunks
(``importers/ledger/streaming.py``: 50,000 rows at a time) into a bounded queue
(``QUEUE_CHUNKS``, so memory stays bounded), while this thread matches each chunk and writes
it (``ledger_rows.RowWriter``; on PostgreSQL each chunk's COPY runs in a thread while the next
chunk is matched) into the batch, all in the caller's one transaction.  The reader
is a thread (zlib, fastexcel and pyarrow let go of the GIL while they work; the archive
guard's NumPy scan of a sheet mostly does not) or, asked for (``reader="process"``, ``PROCESS_FOR_BIG_WORKBOOKS``), a process of its own
(``importers/ledger/reader_process.py``), which takes the reader's Python off the writer's core
(both in ``ledger_read_ahead``, which imports no database code, so that ``tracker import
ledger`` can start reading before it loads SQLAlchemy and the models):

1. the header first: the unit (``--unit`` or the export's 单位 line), its import lock, the
   counting source, the duplicate check, then the batch, added as ``importing`` (no page or
   count sees it, and the month totals are read without its rows);
2. each chunk: code / name matches (``ledger_matching.ChunkMatcher``) and the rows with the
   reader's own counting, written;
3. after the last chunk, the parse as ``read_ledger`` gives it: everything that needs the
   whole file is decided by the very functions of the two-step import (``ledger_import._match``:
   period, dates outside it, projects of the years, 指标文号, rules, sheets, the one-source
   rule, duplicates, totals check; ``ledger_import.land``: replaced rows, month totals,
   audit, reconciliation, status changes); the rows whose final match or counting differs from
   what was written for them are corrected, and the batch becomes ``active``.

So the batch lands exactly as ``prepare`` + ``commit`` would land it, or not at all: any
failure (a bad row in the last chunk, an exception in the reader, a database error)
propagates with the same Chinese error and the caller rolls the transaction back; a killed
process leaves an uncommitted transaction.  When the rows cannot be written before the whole
file is read (no unit given and no 单位 line, a duplicate, the columnar reader declining
late, another unit or source found at the end) the written rows are rolled back to a savepoint
and the parse is committed the two-step way.  The reader is always stopped: a thread is
joined (a stop flag; its puts wait at most ``_PUT_WAIT`` seconds at a time), a process waited
for or killed (and it stops by itself when this process dies: its stdin closes).

The web's preview → confirm path is not this one: the preview keeps its parse and the
confirmation commits that (``ledger_import.prepare_as_previewed``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from tracker.errors import TrackerError
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger.records import LedgerParse
from tracker.importers.ledger.streaming import CHUNK_ROWS, LedgerChunk, LedgerHead, LedgerReread
from tracker.models import LedgerBatch, Project, User
from tracker.services.ledger_import import (
    DEFAULT_SOURCES,
    LedgerResult,
    LedgerUpload,
    _active_duplicate,
    _match,
    _settle_counting_source,
    batch_fields,
    commit,
    land,
    profile_answers,
    resolve_unit,
    totals_refused,
)
from tracker.services.ledger_lock import lock_unit
from tracker.services.ledger_read_ahead import END, ReadAhead, ReaderKind, reader_for, reader_options
from tracker.services.ledger_matching import ChunkMatcher, learned_document_numbers
from tracker.services.ledger_rows import RowWriter
from tracker.services.gc_pause import collector_paused
from tracker.services.spending import ledger_closed_through

@dataclass
class _Written:
    """The batch being written while the file is read, and per row (in the file's order) the
    match and counting written for it."""

    batch: LedgerBatch
    writer: RowWriter
    savepoint: SessionTransaction
    unit_id: int
    source: str
    source_moved: bool
    closed_before: date | None
    matcher: ChunkMatcher
    waited: float = 0.0  # seconds waited for the unit's lock
    reread: bool = False  # the reader read the file again: the rows written are not the parse's
    # per row, the counting written (and the match written: ``matcher.results``)
    counting: list[tuple[bool, str | None]] = field(default_factory=list)


@dataclass
class _NotWritten:
    """Rows not written while reading (see the module docstring): the whole parse is matched
    and committed the two-step way at the end."""

    waited: float = 0.0
    reread: bool = False
    unit_unknown: bool = False  # from the head: the first chunk's 预算单位 may still name it


def import_ledger(session: Session, upload: LedgerUpload, actor: User | str, *,
                  unit: str | int | None = None, source: str | None = None,
                  profile: str | None = None, period: str | None = None,
                  mapping: dict[str, str] | None = None, statuses: dict[str, bool] | None = None,
                  override_reason: str | None = None, today: date | None = None,
                  limits: FileLimits = DEFAULT_LIMITS, waiting: Callable[[], None] | None = None,
                  chunk_rows: int = CHUNK_ROWS,
                  progress: Callable[[int], None] | None = None,
                  reader: ReaderKind = "auto", read_ahead: ReadAhead | None = None) -> LedgerResult:
    """Read, match and write one export in one step (flush only; the caller commits, and
    rolls back on an exception or a result not imported).  Same arguments and result as
    ``prepare`` followed by ``commit``; ``progress`` is called with the rows written so far
    after each chunk; ``reader``: where the file is read (a thread, a process of its own, or
    ``auto``: see ``ledger_read_ahead.reader_for``); ``read_ahead``: the file's reading, already
    started by the caller (``ledger_read_ahead.start``), taken over if it reads as this import
    would, else stopped (the caller still closes it: closing twice is harmless)."""
    # On SQLite the lock (the database's write lock) is the transaction's first statement: taken
    # here when a profile must be read first, else once the header is read (``_start``), so that
    # other writers are not held up while the file is opened.  PostgreSQL: once the unit is known.
    sqlite = session.get_bind().dialect.name == "sqlite"
    locked = sqlite and bool(profile)
    waited = lock_unit(session, 0, waiting=waiting) if locked else 0.0
    mapping, count_rule, source, status_answers, sheet_answers = profile_answers(
        session, profile, mapping, source, statuses)
    options = reader_options(mapping=mapping, limits=limits, status_answers=status_answers,
                             chunk_rows=chunk_rows, count_rule=count_rule)
    if read_ahead is not None and read_ahead.serves(upload.name, upload.data, options, reader):
        pieces, started = read_ahead.pieces, True
    else:
        if read_ahead is not None:
            read_ahead.close()
        pieces, started = reader_for(upload.name, upload.data, options, reader), False
    written: _Written | _NotWritten = _NotWritten()
    # the file's checksum (the duplicate check's, before the first row) while the head is read:
    # hashlib lets go of the interpreter lock
    hashing = threading.Thread(target=getattr, args=(upload, "checksum"), name="ledger-checksum",
                               daemon=True)
    with collector_paused():  # paused before the reader starts: it makes millions of objects too
        if not started:
            pieces.start()
        hashing.start()
        try:
            head = pieces.next()
            assert isinstance(head, LedgerHead)
            hashing.join()
            written = _start(session, upload, head, actor, unit=unit, source=source,
                             waiting=waiting, locked=locked)
            while True:
                piece = pieces.next()
                if isinstance(piece, LedgerChunk):
                    if isinstance(written, _NotWritten) and written.unit_unknown and not piece.first:
                        # the unit from the first rows' 预算单位 (checked against the whole file)
                        written = _start(session, upload, head, actor, unit=unit, source=source,
                                         waiting=waiting, locked=locked or sqlite,
                                         names=piece.columns.unit_name, waited=written.waited)
                    if isinstance(written, _Written):
                        _write(written, piece)
                        if progress is not None:
                            progress(written.writer.rows)
                    continue
                if isinstance(piece, LedgerReread):
                    written.reread = True
                    continue
                assert isinstance(piece, LedgerParse)
                parse = piece
                if pieces.next() is not END:  # pragma: no cover - the stream's contract
                    raise RuntimeError("ledger stream continued after its parse")
                if isinstance(written, _Written):
                    written.writer.wait()  # the last chunk's COPY (PostgreSQL): its error here
                break
        except BaseException:
            if isinstance(written, _Written):
                written.writer.close(restore=False)  # the caller's rollback restores the indexes
            raise
        finally:
            pieces.close()
            hashing.join()
        result = _finish(session, upload, parse, written, actor, unit=unit, source=source,
                         period=period, status_answers=status_answers, sheet_answers=sheet_answers,
                         override_reason=override_reason, today=today, waiting=waiting)
    result.waited = max(result.waited, waited + written.waited)
    return result


def _start(session: Session, upload: LedgerUpload, head: LedgerHead, actor: User | str, *,
           unit: str | int | None, source: str | None, waiting: Callable[[], None] | None,
           locked: bool, names: Sequence[str | None] = (), waited: float = 0.0) -> _Written | _NotWritten:
    """Before the first row: the unit's lock (unless ``locked`` already), its counting source,
    the duplicate check and the batch (``importing``), or ``_NotWritten`` when the rows must
    wait for the whole file."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite and not locked:
        waited += lock_unit(session, 0, waiting=waiting)
    try:
        unit_id = _unit_before_rows(session, unit, head, names)
    except TrackerError:  # said at the end, by the two-step path, in the same order as today
        return _NotWritten(waited)
    if not unit_id:
        return _NotWritten(waited, unit_unknown=True)
    if not sqlite:
        waited += lock_unit(session, unit_id, waiting=waiting)
    kind = head.source_kind or "ledger"
    chosen = source or DEFAULT_SOURCES[kind]
    # as ``commit``: the unit's first import makes its source the counting one
    source_moved = _settle_counting_source(session, unit_id, chosen)
    if _active_duplicate(session, unit_id, upload.checksum) is not None:
        return _NotWritten(waited)  # the two-step path says 已导入过, with the file's figures
    closed_before = ledger_closed_through(session, [unit_id]).get(unit_id)
    projects = list(session.scalars(select(Project).where(Project.unit_id == unit_id)))
    matcher = ChunkMatcher(projects)
    # read before this batch's rows are written (as ``prepare`` reads them): they would only
    # repeat what the chunks' own code and name matches teach, at the cost of reading them all
    matcher.learned = learned_document_numbers(session, unit_id)
    savepoint = session.begin_nested()
    placeholder = head.period or (date.min, date.min)  # the batch's own, set at the end
    batch = LedgerBatch(unit_id=unit_id, source=chosen, source_kind=kind, file_name=upload.name,
                        checksum=upload.checksum, period_start=placeholder[0],
                        period_end=placeholder[1], period_source="stated",
                        user_id=actor.id if isinstance(actor, User) else None,
                        actor=actor.username if isinstance(actor, User) else actor,
                        status="importing")
    session.add(batch)
    session.flush()
    return _Written(batch, RowWriter(session, batch), savepoint, unit_id, chosen, source_moved,
                    closed_before, matcher, waited)


def _unit_before_rows(session: Session, unit: str | int | None, head: LedgerHead,
                      names: Sequence[str | None]) -> int:
    """The unit as ``resolve_unit`` finds it from what is known before the rows: the one given,
    else the 单位 line, else the 预算单位 of the first chunk's rows (``names``; ``_finish``
    checks it against the whole file); 0 when none says."""
    if unit in (None, "") and not head.unit_name and not any(names):
        return 0
    return resolve_unit(session, unit, _HeadParse(head.unit_name, _Names(names))).id  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Names:
    unit_name: Sequence[str | None]


@dataclass(frozen=True)
class _HeadParse:
    """What ``resolve_unit`` reads of a parse, known before the whole file is: the 单位 line and
    the 预算单位 of the rows read so far."""

    unit_name: str | None
    columns: _Names
    file: str = ""


def _write(written: _Written, chunk: LedgerChunk) -> None:
    columns = chunk.columns
    matches = written.matcher.match(columns)
    pairs: dict[tuple[bool, str | None], tuple[bool, str | None]] = {}
    counting = [pairs.setdefault(pair, pair) for pair in zip(columns.counts, columns.not_counted_reason)]
    written.writer.write(columns, matches, counting, expected_rows=chunk.expected_rows)
    written.counting.extend(counting)


def _finish(session: Session, upload: LedgerUpload, parse: LedgerParse,
            written: _Written | _NotWritten, actor: User | str, *, unit: str | int | None,
            source: str | None, period: str | None, status_answers: dict[str, bool],
            sheet_answers: dict[str, int], override_reason: str | None, today: date | None,
            waiting: Callable[[], None] | None) -> LedgerResult:
    """After the last row: the two-step path's decisions on the whole parse (``_match``), the
    rows written corrected where they differ from them, and the batch landed (``land``)."""
    try:
        preview = _match(session, upload, parse, unit=unit, source=source, period=period,
                         status_answers=status_answers, sheet_answers=sheet_answers,
                         sheet_projects=None,
                         matched=written.matcher if isinstance(written, _Written) and not written.reread else None)
    except BaseException:
        if isinstance(written, _Written):
            written.writer.close(restore=False)
        raise
    if isinstance(written, _NotWritten):
        return commit(session, preview, actor, override_reason, today=today, waiting=waiting)
    same = (not written.reread and preview.unit_id == written.unit_id
            and preview.source == written.source
            and preview.parse.source_kind == written.batch.source_kind
            and preview.duplicate_of is None and len(parse.rows) == written.writer.rows)
    check = preview.parse.totals_check() if same else None
    refused = totals_refused(preview, override_reason, check) if check is not None else None
    if not same or refused is not None:  # nothing written stays: back to the savepoint
        written.writer.close(restore=False)
        written.savepoint.rollback()
        if refused is not None:
            return refused
        # written for another unit, source or rows: the two-step way, from the parse
        return commit(session, preview, actor, override_reason, today=today, waiting=waiting)
    batch = written.batch
    assert check is not None
    for name, value in batch_fields(preview, actor, override_reason, check).items():
        setattr(batch, name, value)

    def finish_rows() -> None:  # called by ``land`` once the month totals are read
        final_matches, final_counting = preview.matches, preview.read_counting
        wrong: list[int] = []
        # (two list comparisons in C first: usually nothing changed, or only a few rows)
        if written.matcher.results != final_matches or written.counting != final_counting:
            wrong = [i for i, (a, b, c, d) in enumerate(zip(written.matcher.results, final_matches,
                                                             written.counting, final_counting))
                     if a != b or c != d]
        written.writer.correct(wrong, final_matches, final_counting)
        written.writer.close()
        batch.status = "active"
        session.flush()

    try:
        return land(session, preview, batch, actor, source_moved=written.source_moved,
                    closed_before=written.closed_before, today=today, written=finish_rows)
    except BaseException:
        written.writer.close(restore=False)
        raise


__all__ = ["import_ledger"]
