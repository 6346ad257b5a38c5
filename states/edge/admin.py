"""The admin console's edge: every function checks the viewer's role in its own unit of work
(services.admin.service.staff: 404 for anyone else) and returns display values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dreampixel.core.db import uow
from dreampixel.core.models import Role, Tier
from services.admin import audit, error_log, repository, service, stats, system
from services.admin.schemas import AdminGeneration, AdminUser, AuditEntry, ErrorEntry
from services.admin.service import ADMINS
from services.images import repository as images
from services.images.schemas import ImagePublic
from states.edge.accounts import Viewer

Row = dict[str, str]


def when(value: datetime | str | None) -> str:
    """A timestamp as the console prints it: "2026-12-05 08:01" (UTC)."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def parse_day(value: str) -> datetime | None:
    """A "YYYY-MM-DD" filter as the start of that UTC day; None when blank or malformed."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC) if value.strip() else None
    except ValueError:
        return None


def allowed(viewer: Viewer, roles: frozenset[Role] = ADMINS) -> bool:
    """Whether the viewer may open a page of the console (checked against the database now)."""
    with uow() as session:
        try:
            service.staff(session, user_id=viewer.user_id, allowed=roles)
        except service.NoSuchPage:
            return False
    return True


def _user_row(user: AdminUser) -> Row:
    return {"id": user.id, "email": user.email, "name": user.name, "tier": user.tier, "role": user.role,
            "status": user.status, "verified": "yes" if user.verified else "no", "credits": str(user.credit_balance),
            "created": when(user.created_at), "last_login": when(user.last_login_at)}


def _generation_row(g: AdminGeneration) -> Row:
    return {"id": g.id, "user_id": g.user_id, "status": g.status, "prompt": g.prompt[:120],
            "provider": g.provider_used or g.provider_requested or "auto", "created": when(g.created_at),
            "time": f"{g.processing_time_ms} ms" if g.processing_time_ms is not None else "—",
            "error": g.error_code or ""}


def _audit_row(entry: AuditEntry) -> Row:
    return {"id": entry.id, "at": when(entry.created_at), "actor": entry.actor_email or entry.actor_id or "system",
            "action": entry.action, "target": f"{entry.target_type or ''} {entry.target_id or ''}".strip(),
            "reason": entry.reason or "", "before": "" if entry.before is None else str(entry.before),
            "after": "" if entry.after is None else str(entry.after)}


def _error_row(entry: ErrorEntry) -> Row:
    return {"id": entry.id, "level": entry.level, "logger": entry.logger, "message": entry.message[:300],
            "error_type": entry.error_type or "", "count": str(entry.count), "first_seen": when(entry.first_seen_at),
            "last_seen": when(entry.last_seen_at), "state": entry.state, "request_id": entry.request_id or "",
            "user_id": entry.user_id or "", "traceback": (entry.traceback or "")[-4000:]}


# ---- dashboard -------------------------------------------------------------------------------------


def dashboard(viewer: Viewer) -> dict[str, Any]:
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        report = stats.dashboard(session)
    data = report.model_dump()
    data["generations_per_day"] = [{"day": p.day[5:], **p.values} for p in report.generations_per_day]
    data["signups_per_day"] = [{"day": p.day[5:], **p.values} for p in report.signups_per_day]
    data["provider_share"] = [{"name": k, "value": v} for k, v in sorted(report.provider_share.items())]
    data["provider_failure"] = [{"name": k, "rate": round(v * 100, 1)}
                                for k, v in sorted(report.provider_failure_rate.items())]
    return data


# ---- users -------------------------------------------------------------------------------------------


def users(viewer: Viewer, *, q: str, tier: str, role: str, status: str, verified: str, sort: str) -> list[Row]:
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        rows = repository.search_users(session, q=q, tier=tier, role=role, status=status, verified=verified, sort=sort)
        return [_user_row(AdminUser.of(u)) for u in rows]


def user_detail(viewer: Viewer, *, user_id: str) -> dict[str, Any]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        detail = service.user_detail(session, actor=actor, user_id=user_id)
    return {
        "user": _user_row(detail.user),
        "generations": [_generation_row(g) for g in detail.generations],
        "ledger": [{**{k: str(v) for k, v in e.items()}, "at": when(e["at"])} for e in detail.ledger],
        "subscription": "" if detail.subscription is None else
        f"{detail.subscription['tier']} · {detail.subscription['status']}",
        "sessions": [{"id": s["id"], "ip": s["ip"], "agent": s["user_agent"][:80], "created": when(s["created_at"]),
                      "last_used": when(s["last_used_at"])} for s in detail.sessions],
        "api_keys": [{"id": k["id"], "name": k["name"], "prefix": k["prefix"],
                      "state": "revoked" if k["revoked"] else "live", "last_used": when(k["last_used_at"])}
                     for k in detail.api_keys],
        "audit": [_audit_row(a) for a in detail.audit],
    }


def user_action(viewer: Viewer, *, user_id: str, action: str, value: str = "",
                reason: str = "") -> tuple[str, list[str]]:
    """Run one account action by name; returns what the page says and the files to remove after the commit."""
    files: list[str] = []
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        if action == "tier":
            service.set_tier(session, actor=actor, user_id=user_id, tier=Tier(value), reason=reason)
            message = f"Tier changed to {value}."
        elif action == "credits":
            amount = int(value.strip() or "0")
            user = service.adjust_credits(session, actor=actor, user_id=user_id, amount=amount, reason=reason)
            message = f"Balance is now {user.credit_balance}."
        elif action == "role":
            service.set_role(session, actor=actor, user_id=user_id, role=Role(value), reason=reason)
            message = f"Role changed to {value}."
        elif action == "suspend":
            service.suspend(session, actor=actor, user_id=user_id, reason=reason)
            message = "Suspended: every session and API key stopped."
        elif action == "unsuspend":
            service.unsuspend(session, actor=actor, user_id=user_id, reason=reason)
            message = "The account can sign in again."
        elif action == "resend":
            sent = service.resend_verification(session, actor=actor, user_id=user_id)
            message = "Verification link sent." if sent else "The email is already confirmed."
        elif action == "end_sessions":
            ended = service.end_sessions(session, actor=actor, user_id=user_id)
            message = f"{ended} session{'s' if ended != 1 else ''} ended."
        elif action == "delete":
            files = service.delete_user(session, actor=actor, user_id=user_id, reason=reason)
            message = "Account deleted."
        else:
            raise service.NoSuchPage()
    return message, files


# ---- generations ----------------------------------------------------------------------------------------


def generations(viewer: Viewer, *, status: str, provider: str, user: str, q: str, since: str, until: str,
                stuck: bool) -> list[Row]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        if stuck:
            return [_generation_row(g) for g in service.stuck(session, actor=actor)]
        end = parse_day(until)
        rows = repository.search_generations(session, status=status, provider=provider, user=user, q=q,
                                             since=parse_day(since), until=end + timedelta(days=1) if end else None)
        return [_generation_row(AdminGeneration.of(g)) for g in rows]


def generation_detail(viewer: Viewer, *, generation_id: str) -> dict[str, Any]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        g = service.generation_detail(session, actor=actor, generation_id=generation_id)
        outputs = gallery_outputs(session, generation_id)
    return {
        "row": _generation_row(g) | {"prompt": g.prompt},
        "input": [{"name": k, "value": str(v)} for k, v in (
            ("negative prompt", g.negative_prompt or "—"), ("size", f"{g.width} x {g.height}"), ("steps", g.steps),
            ("variations", g.num_variations), ("provider requested", g.provider_requested or "automatic"),
            ("credits held / charged / refunded", f"{g.credits_held} / {g.credits_charged} / {g.credits_refunded}"),
            ("error", f"{g.error_code}: {g.error_message}" if g.error_code else "—"))],
        "timings": [{"name": k, "value": when(v)} for k, v in (
            ("created", g.created_at), ("queued", g.queued_at), ("started", g.started_at),
            ("completed", g.completed_at), ("deadline", g.deadline_at))],
        "attempts": [{"provider": str(a.get("provider", "")), "status": str(a.get("status", "")),
                      "error": str(a.get("error_code") or ""), "latency": f"{a.get('latency_ms', '—')} ms"}
                     for a in g.attempts],
        "outputs": outputs,
        "retryable": g.status in ("failed", "expired", "canceled"),
        "cancelable": g.status in ("queued", "processing"),
    }


def gallery_outputs(session: Any, generation_id: str) -> list[str]:
    """Thumbnail URLs of the generation's images (the full-size rows carry them)."""
    shown = [ImagePublic.of(image) for image in images.of_generations(session, [generation_id])]
    return [image.thumbnail_url or image.url for image in shown if image.type in ("full", "generation")]


def generation_action(viewer: Viewer, *, generation_id: str, action: str) -> tuple[str, list[str]]:
    files: list[str] = []
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        if action == "retry":
            retried = service.retry_generation(session, actor=actor, generation_id=generation_id)
            message = f"Retried as {retried.id}."
        elif action == "cancel":
            service.cancel_generation(session, actor=actor, generation_id=generation_id)
            message = "Canceled; the credits went back to the owner."
        elif action == "delete":
            files = service.delete_generation(session, actor=actor, generation_id=generation_id)
            message = "Deleted."
        else:
            raise service.NoSuchPage()
    return message, files


def reap(viewer: Viewer) -> dict[str, int]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        return service.reap(session, actor=actor)


# ---- system, errors, audit ------------------------------------------------------------------------------


def system_report(viewer: Viewer) -> dict[str, Any]:
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        return {"queue": system.queue_report(session), "heartbeats": system.heartbeats(session),
                "database": system.database_report(session), "rates": system.provider_error_rates(session)}


def errors(viewer: Viewer, *, level: str, logger: str, state: str, since: str) -> list[Row]:
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        return [_error_row(e) for e in error_log.search(session, level=level, logger=logger, state=state,
                                                          since=parse_day(since))]


def set_error_state(viewer: Viewer, *, error_id: str, state: str) -> None:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id)
        error_log.set_state(session, actor=actor, error_id=error_id, state=state)


def audit_log(viewer: Viewer, *, actor: str, action: str, target: str, since: str, until: str) -> list[Row]:
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        end = parse_day(until)
        return [_audit_row(a) for a in audit.search(session, actor=actor, action=action, target=target,
                                                     since=parse_day(since),
                                                     until=end + timedelta(days=1) if end else None)]
