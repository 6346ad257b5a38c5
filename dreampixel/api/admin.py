"""/api/admin: the admin console's reads and actions for signed-in staff (cookie session, CSRF-checked).

Thin wrappers over services.admin (and, for moderation, services.seeds.moderation and
services.moderation): every route loads the caller with `staff`, so anyone without the role gets
404, as if the console did not exist.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from dreampixel.api.deps import SessionCaller, WebCaller
from dreampixel.core.db import uow
from dreampixel.core.models import Role, SeedCategory, Tier, User
from dreampixel.core.models.moderation import CATEGORY_MAX_LENGTH, PHRASE_MAX_LENGTH
from dreampixel.core.schemas import Page
from services.accounts import admin, deletion
from services.accounts.schemas import UserStanding
from services.admin import analytics, audit, error_log, repository, service, stats, system
from services.admin.schemas import (
    AdminDeleted,
    AdminGeneration,
    AdminStats,
    AdminUser,
    AdminUserDetail,
    AuditEntry,
    CohortTable,
    ErrorEntry,
    FunnelTable,
    ProviderTable,
    ReapResult,
    SessionsEnded,
    SystemReport,
    VerificationResent,
)
from services.admin.service import ADMINS, MODERATORS
from services.gallery import service as gallery
from services.moderation import blocks, rules
from services.moderation.schemas import BlockedPromptPublic, RuleMatch, RulePublic, SeedQueueEntry
from services.seeds import moderation
from services.seeds.schemas import SeedModeration

router = APIRouter(prefix="/admin", tags=["admin"])

T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=200)]
Reason = Annotated[str, Query(max_length=admin.REASON_MAX_LENGTH)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


class ReasonInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=admin.REASON_MAX_LENGTH)


class RoleInput(ReasonInput):
    role: Role


class TierInput(ReasonInput):
    tier: Tier


class CreditsInput(ReasonInput):
    amount: int = Field(ge=-service.CREDIT_ADJUSTMENT_LIMIT, le=service.CREDIT_ADJUSTMENT_LIMIT)


class ModerationInput(ReasonInput):
    approve: bool


class FeatureInput(ReasonInput):
    featured: bool


class CategoryInput(ReasonInput):
    category: SeedCategory


class RuleInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrase: str = Field(min_length=1, max_length=PHRASE_MAX_LENGTH)
    category: str = Field(min_length=1, max_length=CATEGORY_MAX_LENGTH)
    enabled: bool = True


class RuleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrase: str | None = Field(default=None, min_length=1, max_length=PHRASE_MAX_LENGTH)
    category: str | None = Field(default=None, min_length=1, max_length=CATEGORY_MAX_LENGTH)
    enabled: bool | None = None


class PromptInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(max_length=10_000)


class ErrorStateInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str = Field(pattern="^(open|resolved|ignored)$")


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _staff(session: Session, caller: WebCaller, roles: frozenset[Role] = ADMINS) -> User:
    return service.staff(session, user_id=caller.user_id, allowed=roles)


def _page(rows: list[T], limit: int, offset: int) -> Page[T]:
    # Offsets, not cursors: the console pages through a filtered list a person is reading.
    return Page.of(rows, str(offset + limit) if len(rows) == limit else None)


# ---- reads ----------------------------------------------------------------------------------------------


@router.get("/stats")
def get_stats(caller: SessionCaller) -> AdminStats:
    """The dashboard's numbers: live counters and the daily series."""
    with uow() as session:
        _staff(session, caller)
        return stats.dashboard(session)


@router.get("/users")
def list_users(caller: SessionCaller, q: str = "", tier: str = "", role: str = "", status: str = "",
               verified: str = "", sort: str = "newest", limit: Limit = 50, offset: Offset = 0) -> Page[AdminUser]:
    """Search accounts by email, name or id; filter by tier, role, status and verified ("yes"/"no")."""
    with uow() as session:
        _staff(session, caller)
        rows = repository.search_users(session, q=q, tier=tier, role=role, status=status, verified=verified,
                                       sort=sort, limit=limit, offset=offset)
        return _page([AdminUser.of(u) for u in rows], limit, offset)


@router.get("/users/{user_id}")
def get_user(user_id: str, caller: SessionCaller) -> AdminUserDetail:
    with uow() as session:
        return service.user_detail(session, actor=_staff(session, caller), user_id=user_id)


@router.get("/generations")
def list_generations(caller: SessionCaller, status: str = "", provider: str = "", user: str = "", q: str = "",
                     since: datetime | None = None, until: datetime | None = None, stuck: bool = False,
                     limit: Limit = 50, offset: Offset = 0) -> Page[AdminGeneration]:
    """Filter generations by status, provider, user (id or email), prompt words and time; `stuck=true` for the stuck view."""
    with uow() as session:
        actor = _staff(session, caller)
        if stuck:
            return Page[AdminGeneration].of(service.stuck(session, actor=actor), None)
        rows = repository.search_generations(session, status=status, provider=provider, user=user, q=q, since=since,
                                             until=until, limit=limit, offset=offset)
        return _page([AdminGeneration.of(g) for g in rows], limit, offset)


@router.get("/generations/{generation_id}")
def get_generation(generation_id: str, caller: SessionCaller) -> AdminGeneration:
    with uow() as session:
        return service.generation_detail(session, actor=_staff(session, caller), generation_id=generation_id)


@router.get("/audit")
def list_audit(caller: SessionCaller, actor: str = "", action: str = "", target: str = "",
               since: datetime | None = None, until: datetime | None = None, limit: Limit = 100) -> Page[AuditEntry]:
    """Newest first; `action` is a prefix ("user." finds every account action)."""
    with uow() as session:
        _staff(session, caller)
        return Page.of(audit.search(session, actor=actor, action=action, target=target, since=since, until=until,
                                    limit=limit), None)


@router.get("/errors")
def list_errors(caller: SessionCaller, level: str = "", logger: str = "", state: str = "open",
                since: datetime | None = None, limit: Limit = 100) -> Page[ErrorEntry]:
    """Captured warnings and errors, most recently seen first; `state=` (empty) lists every state."""
    with uow() as session:
        _staff(session, caller)
        return Page.of(error_log.search(session, level=level, logger=logger, state=state, since=since, limit=limit),
                       None)


@router.get("/system")
async def get_system(caller: SessionCaller) -> SystemReport:
    """Dependencies, providers with their circuit and error rate, the queue, worker heartbeats, the schema revision."""

    def read() -> SystemReport:
        with uow() as session:
            _staff(session, caller)
            return SystemReport(health={}, queue=system.queue_report(session), heartbeats=system.heartbeats(session),
                                database=system.database_report(session),
                                provider_error_rates=system.provider_error_rates(session))

    report = await asyncio.to_thread(read)
    report.health = await system.dependencies()
    return report


# ---- actions (each writes an audit row) ---------------------------------------------------------------------


@router.post("/users/{user_id}/suspend")
def suspend_user(user_id: str, body: ReasonInput, request: Request, caller: SessionCaller) -> UserStanding:
    """Suspend an account: every session and API key of it stops working now."""
    with uow() as session:
        user = service.suspend(session, actor=_staff(session, caller), user_id=user_id, reason=body.reason,
                               ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/users/{user_id}/unsuspend")
def unsuspend_user(user_id: str, body: ReasonInput, request: Request, caller: SessionCaller) -> UserStanding:
    with uow() as session:
        user = service.unsuspend(session, actor=_staff(session, caller), user_id=user_id, reason=body.reason,
                                 ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/users/{user_id}/role")
def change_role(user_id: str, body: RoleInput, request: Request, caller: SessionCaller) -> UserStanding:
    with uow() as session:
        user = service.set_role(session, actor=_staff(session, caller), user_id=user_id, role=body.role,
                                reason=body.reason, ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/users/{user_id}/tier")
def change_tier(user_id: str, body: TierInput, request: Request, caller: SessionCaller) -> AdminUser:
    with uow() as session:
        user = service.set_tier(session, actor=_staff(session, caller), user_id=user_id, tier=body.tier,
                                reason=body.reason, ip=_client_ip(request))
        return AdminUser.of(user)


@router.post("/users/{user_id}/credits")
def adjust_credits(user_id: str, body: CreditsInput, request: Request, caller: SessionCaller) -> AdminUser:
    """Grant (positive `amount`) or remove (negative) credits: one ledger row, with the reason in the audit log."""
    with uow() as session:
        user = service.adjust_credits(session, actor=_staff(session, caller), user_id=user_id, amount=body.amount,
                                      reason=body.reason, ip=_client_ip(request))
        return AdminUser.of(user)


@router.post("/users/{user_id}/sessions/end")
def end_sessions(user_id: str, request: Request, caller: SessionCaller) -> SessionsEnded:
    """Sign the account out of every browser (its API keys keep working)."""
    with uow() as session:
        ended = service.end_sessions(session, actor=_staff(session, caller), user_id=user_id, ip=_client_ip(request))
        return SessionsEnded(user_id=user_id, ended=ended)


@router.post("/users/{user_id}/verification")
def resend_verification(user_id: str, request: Request, caller: SessionCaller) -> VerificationResent:
    """Send the email confirmation link again; `sent` is false when the address is confirmed already."""
    with uow() as session:
        sent = service.resend_verification(session, actor=_staff(session, caller), user_id=user_id,
                                           ip=_client_ip(request))
        return VerificationResent(user_id=user_id, sent=sent)


@router.delete("/users/{user_id}")
async def delete_user(user_id: str, request: Request, caller: SessionCaller, reason: Reason = "") -> AdminDeleted:
    """Delete the account as its owner can (`?reason=` required): its rows now, its files after the commit."""

    def erase() -> list[str]:
        with uow() as session:
            return service.delete_user(session, actor=_staff(session, caller), user_id=user_id, reason=reason,
                                       ip=_client_ip(request))

    keys = await asyncio.to_thread(erase)
    return AdminDeleted(id=user_id, target_type="user", files_removed=await deletion.delete_files(keys))


@router.post("/generations/{generation_id}/retry")
def retry_generation(generation_id: str, request: Request, caller: SessionCaller) -> AdminGeneration:
    with uow() as session:
        retried = service.retry_generation(session, actor=_staff(session, caller), generation_id=generation_id,
                                           ip=_client_ip(request))
        return AdminGeneration.of(retried)


@router.post("/generations/{generation_id}/cancel")
def cancel_generation(generation_id: str, request: Request, caller: SessionCaller) -> AdminGeneration:
    with uow() as session:
        canceled = service.cancel_generation(session, actor=_staff(session, caller), generation_id=generation_id,
                                             ip=_client_ip(request))
        return AdminGeneration.of(canceled)


@router.delete("/generations/{generation_id}")
async def delete_generation(generation_id: str, request: Request, caller: SessionCaller,
                            reason: Reason = "") -> AdminDeleted:
    """Delete a generation and its images (a running one is canceled first, its credits released)."""

    def delete_rows() -> list[str]:
        with uow() as session:
            return service.delete_generation(session, actor=_staff(session, caller), generation_id=generation_id,
                                             reason=reason, ip=_client_ip(request))

    keys = await asyncio.to_thread(delete_rows)
    return AdminDeleted(id=generation_id, target_type="generation", files_removed=await gallery.delete_files(keys))


@router.post("/reap")
def reap(request: Request, caller: SessionCaller) -> ReapResult:
    """Run the stuck-generation reaper now."""
    with uow() as session:
        return ReapResult(**service.reap(session, actor=_staff(session, caller), ip=_client_ip(request)))


@router.post("/errors/{error_id}/state")
def set_error_state(error_id: str, body: ErrorStateInput, request: Request, caller: SessionCaller) -> ErrorEntry:
    with uow() as session:
        return error_log.set_state(session, actor=_staff(session, caller), error_id=error_id, state=body.state,
                                   ip=_client_ip(request))


@router.post("/seeds/{seed_id}/moderate")
def moderate_seed(
    seed_id: str, body: ModerationInput, request: Request, caller: SessionCaller
) -> SeedModeration:
    with uow() as session:
        seed = moderation.moderate_seed(session, actor=_staff(session, caller, MODERATORS), seed_id=seed_id,
                                        approve=body.approve, reason=body.reason, ip=_client_ip(request))
        return SeedModeration.of(seed)


# ---- analytics (ADMIN only; CSV cells cannot start a spreadsheet formula) ----------------------------------

Weeks = Annotated[int, Query(ge=1, le=analytics.MAX_WEEKS, description="how many weeks back, this one included")]
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The table as CSV"}}


def _csv(name: str, weeks: int, records: tuple[list[str], list[list[object]]]) -> Response:
    return Response(analytics.to_csv(*records), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="dreampixel-{name}-{weeks}w.csv"',
                             "Cache-Control": "no-store"})


@router.get("/analytics/cohorts")
def get_cohorts(caller: SessionCaller, weeks: Weeks = 8) -> CohortTable:
    """Weekly sign-up cohorts: the share of each week's accounts that submitted a generation N weeks later."""
    with uow() as session:
        _staff(session, caller)
        return analytics.cohorts(session, weeks=weeks)


@router.get("/analytics/funnel")
def get_funnel(caller: SessionCaller, weeks: Weeks = 8) -> FunnelTable:
    """Sign-up -> verified -> first generation -> fifth generation -> paid, per sign-up week."""
    with uow() as session:
        _staff(session, caller)
        return analytics.funnel(session, weeks=weeks)


@router.get("/analytics/providers")
def get_provider_performance(caller: SessionCaller, weeks: Weeks = 8) -> ProviderTable:
    """Per provider over the period: attempts, success rate, latency p50/p95/p99, failovers."""
    with uow() as session:
        _staff(session, caller)
        return analytics.providers(session, weeks=weeks)


@router.get("/analytics/cohorts.csv", response_class=Response, responses=CSV)
def get_cohorts_csv(caller: SessionCaller, weeks: Weeks = 8) -> Response:
    with uow() as session:
        _staff(session, caller)
        table = analytics.cohorts(session, weeks=weeks)
    return _csv("cohorts", weeks, analytics.cohort_records(table))


@router.get("/analytics/funnel.csv", response_class=Response, responses=CSV)
def get_funnel_csv(caller: SessionCaller, weeks: Weeks = 8) -> Response:
    with uow() as session:
        _staff(session, caller)
        table = analytics.funnel(session, weeks=weeks)
    return _csv("funnel", weeks, analytics.funnel_records(table))


@router.get("/analytics/providers.csv", response_class=Response, responses=CSV)
def get_providers_csv(caller: SessionCaller, weeks: Weeks = 8) -> Response:
    with uow() as session:
        _staff(session, caller)
        table = analytics.providers(session, weeks=weeks)
    return _csv("providers", weeks, analytics.provider_records(table))


# ---- moderation (admins and moderators) ----------------------------------------------------------------------


@router.get("/moderation/seeds")
def list_seed_queue(caller: SessionCaller, status: str = "", category: str = "", limit: Limit = 50,
                    offset: Offset = 0) -> Page[SeedQueueEntry]:
    """Seeds with their recipe, examples and creator: pending first (oldest first), then the decided ones."""
    with uow() as session:
        rows = moderation.queue(session, actor=_staff(session, caller, MODERATORS), status=status, category=category,
                                limit=limit, offset=offset)
        return _page(rows, limit, offset)


@router.post("/seeds/{seed_id}/feature")
def feature_seed(seed_id: str, body: FeatureInput, request: Request, caller: SessionCaller) -> SeedQueueEntry:
    """Put an approved seed in the marketplace's featured row (`featured: true`), or take it out."""
    with uow() as session:
        seed = moderation.set_featured(session, actor=_staff(session, caller, MODERATORS), seed_id=seed_id,
                                       featured=body.featured, reason=body.reason, ip=_client_ip(request))
        return moderation.entry(session, seed)


@router.post("/seeds/{seed_id}/category")
def recategorise_seed(seed_id: str, body: CategoryInput, request: Request, caller: SessionCaller) -> SeedQueueEntry:
    with uow() as session:
        seed = moderation.recategorise(session, actor=_staff(session, caller, MODERATORS), seed_id=seed_id,
                                       category=body.category, reason=body.reason, ip=_client_ip(request))
        return moderation.entry(session, seed)


@router.get("/moderation/rules")
def list_prompt_rules(caller: SessionCaller, q: str = "", category: str = "") -> Page[RulePublic]:
    """Every prompt rule by category; `q` finds phrases containing it."""
    with uow() as session:
        return Page.of(rules.list_rules(session, actor=_staff(session, caller, MODERATORS), q=q, category=category),
                       None)


@router.post("/moderation/rules", status_code=201)
def create_prompt_rule(body: RuleInput, request: Request, caller: SessionCaller) -> RulePublic:
    with uow() as session:
        rule = rules.create(session, actor=_staff(session, caller, MODERATORS), phrase=body.phrase,
                            category=body.category, enabled=body.enabled, ip=_client_ip(request))
        return RulePublic.of_rows(session, [rule])[0]


@router.patch("/moderation/rules/{rule_id}")
def change_prompt_rule(rule_id: str, body: RuleChange, request: Request, caller: SessionCaller) -> RulePublic:
    """Change the phrase, the category or `enabled`; fields left out stay."""
    with uow() as session:
        rule = rules.update(session, actor=_staff(session, caller, MODERATORS), rule_id=rule_id, phrase=body.phrase,
                            category=body.category, enabled=body.enabled, ip=_client_ip(request))
        return RulePublic.of_rows(session, [rule])[0]


@router.delete("/moderation/rules/{rule_id}", status_code=204, response_class=Response)
def delete_prompt_rule(rule_id: str, request: Request, caller: SessionCaller) -> Response:
    with uow() as session:
        rules.delete(session, actor=_staff(session, caller, MODERATORS), rule_id=rule_id, ip=_client_ip(request))
    return Response(status_code=204)


@router.post("/moderation/test")
def check_prompt(body: PromptInput, caller: SessionCaller) -> RuleMatch:
    """Which enabled rule would refuse this prompt (nothing is logged, no strike)."""
    with uow() as session:
        return rules.check_prompt(session, actor=_staff(session, caller, MODERATORS), prompt=body.prompt)


@router.get("/moderation/blocked")
def list_blocked_prompts(caller: SessionCaller, user: str = "", category: str = "", source: str = "",
                         since: datetime | None = None, until: datetime | None = None, limit: Limit = 100,
                         offset: Offset = 0) -> Page[BlockedPromptPublic]:
    """Refused prompts, newest first: who, an excerpt, the rule, via web or api, and whether it suspended them."""
    with uow() as session:
        found = blocks.search(session, actor=_staff(session, caller, MODERATORS), user=user, category=category,
                              source=source, since=since, until=until, limit=limit, offset=offset)
        return _page([BlockedPromptPublic.of(row, email) for row, email in found], limit, offset)
