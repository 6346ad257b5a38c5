"""What the admin console shows: users, generations, the audit trail, errors and the dashboard numbers."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from dreampixel.core.models import AuditLog, ErrorLog, Generation, User
from dreampixel.core.schemas import Timestamp


class AdminUser(BaseModel):
    """One account as the users list shows it."""

    object: Literal["admin.user"] = "admin.user"
    id: str
    email: str
    name: str
    tier: str
    role: str
    status: str
    verified: bool
    credit_balance: int
    created_at: Timestamp
    last_login_at: Timestamp | None

    @classmethod
    def of(cls, user: User) -> AdminUser:
        return cls(id=user.id, email=user.email, name=user.name, tier=user.tier.value, role=user.role.value,
                   status=user.status.value, verified=user.email_verified_at is not None,
                   credit_balance=user.credit_balance, created_at=user.created_at, last_login_at=user.last_login_at)


class AdminGeneration(BaseModel):
    """One generation as the generations list and its detail show it."""

    object: Literal["admin.generation"] = "admin.generation"
    id: str
    user_id: str
    status: str
    prompt: str
    negative_prompt: str
    provider_requested: str | None
    provider_used: str | None
    width: int
    height: int
    steps: int
    num_variations: int
    attempts: list[dict[str, Any]]
    retry_count: int
    error_code: str | None
    error_message: str | None
    credits_held: int
    credits_charged: int
    credits_refunded: int
    created_at: Timestamp
    queued_at: Timestamp | None
    started_at: Timestamp | None
    completed_at: Timestamp | None
    deadline_at: Timestamp | None
    processing_time_ms: int | None

    @classmethod
    def of(cls, g: Generation) -> AdminGeneration:
        return cls(id=g.id, user_id=g.user_id, status=g.status.value, prompt=g.prompt, negative_prompt=g.negative_prompt,
                   provider_requested=g.provider_requested, provider_used=g.provider_used, width=g.width,
                   height=g.height, steps=g.steps, num_variations=g.num_variations, attempts=list(g.attempts),
                   retry_count=g.retry_count, error_code=g.error_code, error_message=g.error_message,
                   credits_held=g.credits_held, credits_charged=g.credits_charged,
                   credits_refunded=g.credits_refunded, created_at=g.created_at, queued_at=g.queued_at,
                   started_at=g.started_at, completed_at=g.completed_at, deadline_at=g.deadline_at,
                   processing_time_ms=g.processing_time_ms)


class AuditEntry(BaseModel):
    object: Literal["admin.audit"] = "admin.audit"
    id: str
    created_at: Timestamp
    actor_id: str | None
    actor_email: str | None
    action: str
    target_type: str | None
    target_id: str | None
    reason: str | None
    before: Any = None
    after: Any = None
    details: dict[str, Any]

    @classmethod
    def of(cls, row: AuditLog, actor_email: str | None) -> AuditEntry:
        details = dict(row.details or {})
        return cls(id=row.id, created_at=row.created_at, actor_id=row.actor_id, actor_email=actor_email,
                   action=row.action, target_type=row.target_type, target_id=row.target_id,
                   reason=details.get("reason"), before=details.get("before", details.get("from")),
                   after=details.get("after", details.get("to")), details=details)


class ErrorEntry(BaseModel):
    object: Literal["admin.error"] = "admin.error"
    id: str
    level: str
    logger: str
    source: str
    message: str
    error_type: str | None
    traceback: str | None
    request_id: str | None
    user_id: str | None
    path: str | None
    count: int
    first_seen_at: Timestamp
    last_seen_at: Timestamp
    state: str

    @classmethod
    def of(cls, row: ErrorLog) -> ErrorEntry:
        return cls(id=row.id, level=row.level, logger=row.logger, source=row.source, message=row.message,
                   error_type=row.error_type, traceback=row.traceback, request_id=row.request_id,
                   user_id=row.user_id, path=row.path, count=row.count, first_seen_at=row.first_seen_at,
                   last_seen_at=row.last_seen_at, state=row.state)


class AdminUserDetail(BaseModel):
    """Everything the user detail page shows about one account."""

    user: AdminUser
    generations: list[AdminGeneration]
    ledger: list[dict[str, Any]]
    subscription: dict[str, Any] | None
    sessions: list[dict[str, Any]]
    api_keys: list[dict[str, Any]]
    audit: list[AuditEntry]


class DayPoint(BaseModel):
    """One day of a chart: the day and a count per series."""

    day: str
    values: dict[str, int]


class AdminStats(BaseModel):
    """The dashboard: cheap live counters and the daily series from the rollups."""

    object: Literal["admin.stats"] = "admin.stats"
    users_total: int
    users_new_today: int
    users_new_7d: int
    users_new_30d: int
    users_active_7d: int
    generations_today: int
    generations_7d: int
    success_rate_7d: float | None
    processing_p50_ms: int | None
    processing_p95_ms: int | None
    queue_depth: int
    processing_now: int
    credits_spent_7d: int
    subscriptions_by_tier: dict[str, int]
    mrr_cents: int
    revenue_30d_cents: int
    generations_per_day: list[DayPoint]
    signups_per_day: list[DayPoint]
    provider_share: dict[str, int]
    provider_failure_rate: dict[str, float]


class AdminDeleted(BaseModel):
    """The answer to deleting an account or a generation from the console."""

    object: Literal["admin.deleted"] = "admin.deleted"
    id: str
    target_type: Literal["user", "generation"]
    deleted: Literal[True] = True
    files_removed: int


class VerificationResent(BaseModel):
    """Whether a confirmation link went out (False: the address was confirmed already)."""

    object: Literal["admin.verification"] = "admin.verification"
    user_id: str
    sent: bool


class SessionsEnded(BaseModel):
    """How many browser sessions of the account an admin ended."""

    object: Literal["admin.sessions_ended"] = "admin.sessions_ended"
    user_id: str
    ended: int


class ReapResult(BaseModel):
    """What one sweep of the reaper did."""

    requeued: int = 0
    failed: int = 0
    expired: int = 0
    redispatched: int = 0


class SystemReport(BaseModel):
    """Everything /admin/system shows except the error log."""

    object: Literal["admin.system"] = "admin.system"
    health: dict[str, Any]
    queue: dict[str, Any]
    heartbeats: list[dict[str, Any]]
    database: dict[str, Any]
    provider_error_rates: dict[str, dict[str, Any]]


# ---- analytics ---------------------------------------------------------------------------------------


class CohortRow(BaseModel):
    """One sign-up week: its accounts, and how many of them submitted a generation in week 0, 1, ... after."""

    cohort_week: date
    users: int
    active: list[int]
    retention: list[float | None]


class CohortTable(BaseModel):
    object: Literal["admin.analytics.cohorts"] = "admin.analytics.cohorts"
    weeks: int
    rows: list[CohortRow]


class FunnelRow(BaseModel):
    """One sign-up week through the funnel; each step counts the accounts that reached every step before it."""

    cohort_week: date
    signed_up: int
    verified: int
    first_generation: int
    fifth_generation: int
    paid: int
    # Each step over the one before it; None when the step before had nobody.
    verified_rate: float | None
    first_generation_rate: float | None
    fifth_generation_rate: float | None
    paid_rate: float | None


class FunnelTable(BaseModel):
    object: Literal["admin.analytics.funnel"] = "admin.analytics.funnel"
    weeks: int
    rows: list[FunnelRow]


class ProviderRow(BaseModel):
    """One provider's calls over the period, counted by the day their generation ended."""

    provider: str
    attempts: int
    succeeded: int
    failed: int
    skipped: int
    success_rate: float | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    latency_p99_ms: int | None
    delivered: int
    # Generations first tried here and delivered by another provider, and the reverse.
    failovers_out: int
    failovers_in: int


class ProviderTable(BaseModel):
    object: Literal["admin.analytics.providers"] = "admin.analytics.providers"
    weeks: int
    since: date
    rows: list[ProviderRow]
