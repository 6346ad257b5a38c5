"""structlog configuration: JSON lines, with the request id of the current request bound.

Warnings and errors are also kept in the `error_logs` table for the admin error viewer
(`ErrorCapture`): one row per fingerprint, upserted by a background thread so logging never
waits on the database, and never from inside its own writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from dreampixel.core.settings import settings

_configured = False


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Route stdlib and structlog records through one JSON (or console) renderer."""
    global _configured
    if _configured:
        return
    _configured = True
    level_name = (level or settings.log_level).upper()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if settings.error_log_capture:
        shared.append(error_capture)
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer()
        if (fmt or settings.log_format) == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_name)
    for noisy in ("httpx", "httpcore", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


# ---- the error log ----------------------------------------------------------------------------

CAPTURED_LEVELS = frozenset({"warning", "error", "critical", "exception"})
# Our own writes (and the libraries under them) never feed the log they write to.
IGNORED_LOGGERS = ("sqlalchemy", "alembic", "asyncio")
QUEUE_LIMIT = 1000
BACKOFF_SECONDS = 30.0


def fingerprint(logger: str, event: str, error_type: str | None) -> str:
    """What makes two records "the same error": where, what, and the exception's type."""
    return hashlib.sha256(f"{logger}|{event}|{error_type or ''}".encode()).hexdigest()[:40]


# Marks the error-log writer threads. Shared by every ErrorCapture, so what one writer (or its
# listeners) logs is captured by none of them, whichever capture the record passes through.
_WRITER = threading.local()


class ErrorCapture:
    """Upserts captured records into `error_logs` from one daemon thread, outside any request's transaction."""

    def __init__(self) -> None:
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE_LIMIT)
        self._local = _WRITER
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._paused_until = 0.0
        # Called (in the writer thread) after each write: the admin console pushes a refresh.
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    @property
    def busy(self) -> bool:
        return bool(getattr(self._local, "busy", False))

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        level = str(event_dict.get("level", method)).lower()
        name = str(event_dict.get("logger") or "")
        if level not in CAPTURED_LEVELS or self.busy or name.startswith(IGNORED_LOGGERS):
            return event_dict
        # Logging about logging would recurse; the stream still has the record.
        with contextlib.suppress(Exception):
            self._offer(self._record(level, name, event_dict))
        return event_dict

    def _record(self, level: str, name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
        exc_info = event_dict.get("exc_info")
        if exc_info is True:
            exc_info = sys.exc_info()
        elif isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        error_type = trace = None
        if isinstance(exc_info, tuple) and exc_info[0] is not None:
            error_type = exc_info[0].__name__
            trace = "".join(traceback.format_exception(*exc_info))[-20_000:]
        event = str(event_dict.get("event", ""))
        # Keys starting with "_" are structlog's own bookkeeping (the stdlib record it wraps).
        extra = {k: str(v)[:500] for k, v in event_dict.items() if not k.startswith("_")
                 and k not in {"event", "level", "logger", "timestamp", "exc_info", "request_id", "user_id", "path"}}
        message = event if not extra else f"{event} " + " ".join(f"{k}={v}" for k, v in list(extra.items())[:12])
        return {
            "level": "error" if level in {"exception", "critical"} else level,
            "logger": name[:255],
            "event": event,
            "message": message[:4000],
            "error_type": error_type,
            "traceback": trace,
            "request_id": str(event_dict["request_id"])[:64] if event_dict.get("request_id") else None,
            "user_id": str(event_dict["user_id"])[:32] if event_dict.get("user_id") else None,
            "path": str(event_dict["path"])[:512] if event_dict.get("path") else None,
            "context": extra,
            "fingerprint": fingerprint(name, event, error_type),
        }

    def _offer(self, record: dict[str, Any]) -> None:
        if time.monotonic() < self._paused_until:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="error-log-writer", daemon=True)
                self._thread.start()
        with contextlib.suppress(queue.Full):  # a flood: the rows already say it is happening
            self._queue.put_nowait(record)

    def _run(self) -> None:
        self._local.busy = True
        while True:
            record = self._queue.get()
            try:
                self.write(record)
                for listener in self.listeners:
                    listener(record)
            except Exception:
                # The database is away (or not migrated): stop trying for a while.
                self._paused_until = time.monotonic() + BACKOFF_SECONDS
            finally:
                self._queue.task_done()

    def write(self, record: dict[str, Any]) -> None:
        """Insert the record's row, or count one more and refresh it (a resolved error opens again)."""
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        from dreampixel.core.db import get_engine
        from dreampixel.core.models import ErrorLog, new_id, utcnow

        engine = get_engine()
        now = utcnow()
        values = {k: v for k, v in record.items() if k != "event"}
        values.update(id=new_id("err"), source=record["logger"].split(".", 1)[0][:64] or "app", count=1,
                      first_seen_at=now, last_seen_at=now, created_at=now, state="open")
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        table = ErrorLog.__table__  # type: ignore[attr-defined]
        statement = insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.fingerprint],
            set_={"count": table.c.count + 1, "last_seen_at": now, "state": "open", "message": values["message"],
                  "traceback": statement.excluded.traceback, "request_id": statement.excluded.request_id,
                  "user_id": statement.excluded.user_id, "path": statement.excluded.path},
        )
        with engine.begin() as connection:
            connection.execute(statement)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued record is written (tests, and shutting down)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


error_capture = ErrorCapture()
