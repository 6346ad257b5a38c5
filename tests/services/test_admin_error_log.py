"""Warnings and errors from the logs land in error_logs: one row per fingerprint, counted, and never recursing."""

from __future__ import annotations

import logging

import pytest
import structlog
from sqlalchemy import Engine
from sqlmodel import select

from dreampixel.core.db import uow
from dreampixel.core.logging import ErrorCapture
from dreampixel.core.models import ErrorLog, Role
from services.admin import error_log, system
from tests.factories import create_user


@pytest.fixture
def capture(live_db: Engine) -> ErrorCapture:
    return ErrorCapture()


def emit(capture: ErrorCapture, level: str, event: str, **fields: object) -> None:
    capture(None, level, {"event": event, "level": level, "logger": "services.example", **fields})
    capture.drain()


def rows() -> list[ErrorLog]:
    with uow() as session:
        return list(session.exec(select(ErrorLog)).all())


def test_an_error_is_kept_with_its_request_user_and_trace(capture: ErrorCapture) -> None:
    try:
        raise ValueError("boom")
    except ValueError as error:
        emit(capture, "error", "example.failed", exc_info=error, request_id="req_1", user_id="usr_1", path="/x")
    [row] = rows()
    assert (row.level, row.logger, row.error_type, row.request_id, row.user_id) == (
        "error", "services.example", "ValueError", "req_1", "usr_1")
    assert "boom" in (row.traceback or "") and row.count == 1 and row.state == "open"


def test_a_library_error_reads_as_its_message_without_structlogs_bookkeeping(capture: ErrorCapture) -> None:
    record = logging.LogRecord("engineio.server", logging.ERROR, __file__, 1, "origin refused", None, None)
    emit(capture, "error", "https://evil.example is not an accepted origin.", _record=record,
         _from_structlog=False, origin="https://evil.example")
    [row] = rows()
    assert row.message == "https://evil.example is not an accepted origin. origin=https://evil.example"


def test_the_same_error_again_counts_up_on_one_row(capture: ErrorCapture) -> None:
    for _ in range(3):
        emit(capture, "warning", "example.slow", attempt=1)
    [row] = rows()
    assert row.count == 3 and row.last_seen_at >= row.first_seen_at


def test_info_records_are_not_kept(capture: ErrorCapture) -> None:
    emit(capture, "info", "example.fine")
    assert rows() == []


def test_a_resolved_error_that_recurs_opens_again(capture: ErrorCapture) -> None:
    emit(capture, "error", "example.flaky")
    with uow() as session:
        admin = create_user(session, role=Role.ADMIN)
        error_log.set_state(session, actor=admin, error_id=rows()[0].id, state="resolved")
    assert rows()[0].state == "resolved"
    emit(capture, "error", "example.flaky")
    assert (rows()[0].state, rows()[0].count) == ("open", 2)


def test_logging_from_inside_the_writer_is_not_captured_again(capture: ErrorCapture) -> None:
    """A listener that logs an error (as a failing publish would) must not feed the log it writes to."""
    logger = structlog.wrap_logger(logging.getLogger("services.listener"), processors=[capture, lambda *_: ""])
    capture.listeners.append(lambda _record: logger.error("listener.failed"))
    emit(capture, "error", "example.first")
    capture.drain()
    assert [row.message for row in rows()] == ["example.first"]


def test_a_database_that_is_away_costs_the_caller_nothing(capture: ErrorCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_record: dict[str, object]) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(capture, "write", broken)
    emit(capture, "error", "example.unwritten")  # returns at once, raises nothing
    assert rows() == []


def test_a_worker_heartbeat_is_one_row_refreshed_in_place(live_db: Engine) -> None:
    for _ in range(2):
        with uow() as session:
            system.beat(session, name="arq:host:1", kind="arq")
    with uow() as session:
        [beat] = system.heartbeats(session)
    assert (beat["name"], beat["alive"]) == ("arq:host:1", True)
