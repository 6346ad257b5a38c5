"""Running the platform: idempotent API requests, the error log and the admin audit trail."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    ID_LENGTH,
    CreatedAt,
    JSONType,
    UTCDateTime,
    counter_field,
    enum_field,
    id_field,
    reference,
    utcnow,
)
from dreampixel.core.models.enums import IdempotencyState


class IdempotencyRecord(CreatedAt, table=True):
    """The first answer to a request sent with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner", "key"), Index("ix_idempotency_records_expires_at", "expires_at"))

    id: str = id_field("idm")
    # A user id or an API key id. No foreign key: records expire on their own and must not
    # block deleting either.
    owner: str = Field(max_length=ID_LENGTH)
    key: str = Field(max_length=255)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    # The same key with a different body is a client bug, answered with 422 instead of a replay.
    request_hash: str = Field(max_length=64)
    state: IdempotencyState = enum_field(IdempotencyState, IdempotencyState.IN_PROGRESS)
    response_status: int | None = None
    response_body: Any | None = Field(default=None, sa_type=JSONType)
    response_headers: dict[str, str] | None = Field(default=None, sa_type=JSONType)
    resource_id: str | None = Field(default=None, max_length=ID_LENGTH)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ErrorLog(CreatedAt, table=True):
    """A warning or error from the logs, one row per fingerprint, counted each time it recurs."""

    __tablename__ = "error_logs"
    __table_args__ = (
        Index("ix_error_logs_created_at", "created_at"),
        Index("ix_error_logs_last_seen_at", "last_seen_at"),
        UniqueConstraint("fingerprint"),
    )

    id: str = id_field("err")
    level: str = Field(default="error", max_length=16)
    # Where it happened: "api", "worker", "page", ...
    source: str = Field(max_length=64)
    message: str = Field(sa_type=Text)
    error_type: str | None = Field(default=None, max_length=255)
    traceback: str | None = Field(default=None, sa_type=Text)
    request_id: str | None = Field(default=None, max_length=64)
    # Plain ids without foreign keys: the log must outlive what it talks about.
    user_id: str | None = Field(default=None, max_length=ID_LENGTH)
    path: str | None = Field(default=None, max_length=512)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    # The same logger, event and error type is one row: a flood costs one UPDATE per record.
    fingerprint: str = Field(max_length=64)
    logger: str = Field(default="", max_length=255)
    count: int = Field(default=1)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # "open", "resolved" or "ignored"; a resolved error that recurs opens again.
    state: str = Field(default="open", max_length=16)


class DailyStat(SQLModel, table=True):
    """One number of one finished UTC day (sign-ups, generations by status, by provider), rolled up once."""

    __tablename__ = "daily_stats"

    day: date = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=64)
    key: str = Field(default="", primary_key=True, max_length=64)
    value: int = Field(default=0, sa_type=BigInteger)


class WorkerHeartbeat(SQLModel, table=True):
    """The last sign of life of one worker process (or the app's in-process jobs)."""

    __tablename__ = "worker_heartbeats"

    name: str = Field(primary_key=True, max_length=128)
    kind: str = Field(default="arq", max_length=32)
    host: str = Field(default="", max_length=255)
    pid: int = 0
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Jobs this process finished and jobs that ended in an error, since it started.
    jobs_done: int = 0
    jobs_failed: int = 0


class AuditLog(CreatedAt, table=True):
    """Who did what to whom: admin and moderator actions, and security-relevant account events."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_created_at", "created_at"),
        Index("ix_audit_logs_target_type_target_id", "target_type", "target_id"),
        Index("ix_audit_logs_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_logs_action_created_at", "action", "created_at"),
    )

    id: str = id_field("aud")
    actor_id: str | None = Field(default=None, max_length=ID_LENGTH)
    action: str = Field(max_length=64)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=ID_LENGTH)
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)


class UserActivity(SQLModel, table=True):
    """How many generations an account has submitted and when its first and fifth were (the funnel's
    steps), kept by every submit so the analytics never count a million generations."""

    __tablename__ = "user_activity"
    __table_args__ = (Index("ix_user_activity_cohort_week", "cohort_week"),)

    user_id: str = reference("users.id", ondelete="CASCADE", primary_key=True)
    # The Monday (UTC) of the account's sign-up week, so the funnel groups this table alone.
    cohort_week: date
    generations: int = counter_field()
    first_generation_at: datetime = Field(sa_type=UTCDateTime)
    fifth_generation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserActiveWeek(SQLModel, table=True):
    """A week (its Monday, UTC) in which an account submitted a generation: one cell of the retention
    triangle. The account's sign-up week is copied in, so the triangle is one grouped index scan."""

    __tablename__ = "user_active_weeks"
    __table_args__ = (Index("ix_user_active_weeks_cohort_week_week", "cohort_week", "week"),)

    user_id: str = reference("users.id", ondelete="CASCADE", primary_key=True)
    week: date = Field(primary_key=True)
    cohort_week: date


class ProviderDailyStat(SQLModel, table=True):
    """One provider's calls in one finished UTC day (`hour` 24) or one finished hour of the current day
    (`hour` 0-23), by when their generation ended, rolled up once.

    `latency` is a histogram of call latencies (bucket index -> calls, buckets 5 % wide), so
    percentiles over any run of days are read from a few hundred rows. A row with an empty
    `provider` marks a day or an hour as rolled up, so an empty one is not recounted. The hours of
    a day are removed once the whole day is rolled up.
    """

    __tablename__ = "provider_daily_stats"

    day: date = Field(primary_key=True)
    hour: int = Field(default=24, primary_key=True)
    provider: str = Field(default="", primary_key=True, max_length=32)
    calls: int = counter_field()
    succeeded: int = counter_field()
    failed: int = counter_field()
    skipped: int = counter_field()
    delivered: int = counter_field()
    failovers_out: int = counter_field()
    failovers_in: int = counter_field()
    latency: dict[str, int] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
