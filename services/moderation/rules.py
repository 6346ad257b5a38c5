"""Prompt rules as staff manage them on /admin/moderation: add, edit, enable or disable, delete, test.

Admins and moderators may do all of it; every change writes an audit row with before and after,
and clears the screen's cached rules (services.moderation.service).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from dreampixel.core.db import after_commit
from dreampixel.core.errors import Conflict, NotFound, ValidationFailed
from dreampixel.core.models import PromptRule, Role, User
from dreampixel.core.models.moderation import CATEGORY_MAX_LENGTH, PHRASE_MAX_LENGTH
from services.accounts.admin import audit, require_role
from services.moderation import service as screening
from services.moderation.schemas import RuleMatch, RulePublic

MODERATORS = frozenset({Role.ADMIN, Role.MODERATOR})
_CHANGED = "dreampixel.moderation.rules_changed"


def _changed(session: Session) -> None:
    # Now, for this transaction's own later reads; and again once it ends either way, so a
    # rolled-back change does not linger in the cache.
    screening.invalidate_rules()
    session.info[_CHANGED] = True
    after_commit(session, screening.invalidate_rules)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_on_end(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop(_CHANGED, False):
        screening.invalidate_rules()


def _snapshot(rule: PromptRule) -> dict[str, Any]:
    return {"phrase": rule.phrase, "category": rule.category, "enabled": rule.enabled}


def _clean(phrase: str, category: str) -> tuple[str, str, str]:
    """(phrase, its normalised form, category) trimmed; ValidationFailed when either is unusable."""
    phrase, category = " ".join(phrase.split()), " ".join(category.split())
    errors = []
    normalised = screening.normalise(phrase)
    if not normalised:
        errors.append({"field": "phrase", "message": "Give a word or phrase made of letters or digits."})
    elif len(phrase) > PHRASE_MAX_LENGTH or len(normalised) > PHRASE_MAX_LENGTH:
        errors.append({"field": "phrase", "message": f"At most {PHRASE_MAX_LENGTH} characters."})
    if not category:
        errors.append({"field": "category", "message": "Name the category the refusal will give."})
    elif len(category) > CATEGORY_MAX_LENGTH:
        errors.append({"field": "category", "message": f"At most {CATEGORY_MAX_LENGTH} characters."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return phrase, normalised, category


def _unique(session: Session, normalised: str, *, other_than: str | None = None) -> None:
    query = select(PromptRule).where(col(PromptRule.normalised) == normalised)
    existing = session.exec(query).first()
    if existing is not None and existing.id != other_than:
        raise Conflict(f"A rule for \u201c{existing.phrase}\u201d ({existing.category}) already reads the same.",
                       code="rule_exists")


def _rule(session: Session, rule_id: str) -> PromptRule:
    rule = session.get(PromptRule, rule_id)
    if rule is None:
        raise NotFound("No such rule.")
    return rule


def list_rules(session: Session, *, actor: User, q: str = "", category: str = "") -> list[RulePublic]:
    """Every rule, by category then phrase; `q` finds phrases containing it (as the screen reads them)."""
    require_role(actor, MODERATORS, "read moderation rules")
    query = select(PromptRule)
    if category.strip():
        query = query.where(col(PromptRule.category) == category.strip())
    needle = screening.normalise(q)
    if needle:
        query = query.where(col(PromptRule.normalised).contains(needle, autoescape=True))
    rows = session.exec(query.order_by(col(PromptRule.category), col(PromptRule.normalised))).all()
    return RulePublic.of_rows(session, list(rows))


def categories(session: Session) -> list[str]:
    """The categories in use, for the page's suggestions and filter."""
    return sorted(set(session.exec(select(PromptRule.category).distinct()).all()))


def create(session: Session, *, actor: User, phrase: str, category: str, enabled: bool = True,
           ip: str | None = None) -> PromptRule:
    """Add a rule; a phrase that reads the same as an existing one is a conflict."""
    require_role(actor, MODERATORS, "manage moderation rules")
    phrase, normalised, category = _clean(phrase, category)
    _unique(session, normalised)
    rule = PromptRule(phrase=phrase, normalised=normalised, category=category, enabled=enabled,
                      created_by_id=actor.id, updated_by_id=actor.id)
    session.add(rule)
    session.flush()
    audit(session, actor=actor, action="moderation.rule_created", target_type="prompt_rule", target_id=rule.id,
          ip=ip, details={"before": None, "after": _snapshot(rule)})
    _changed(session)
    return rule


def update(session: Session, *, actor: User, rule_id: str, phrase: str | None = None, category: str | None = None,
           enabled: bool | None = None, ip: str | None = None) -> PromptRule:
    """Change a rule's phrase, category or enabled flag; what is not given stays."""
    require_role(actor, MODERATORS, "manage moderation rules")
    rule = _rule(session, rule_id)
    before = _snapshot(rule)
    new_phrase, normalised, new_category = _clean(rule.phrase if phrase is None else phrase,
                                                  rule.category if category is None else category)
    if normalised != rule.normalised:
        _unique(session, normalised, other_than=rule.id)
    rule.phrase, rule.normalised, rule.category = new_phrase, normalised, new_category
    if enabled is not None:
        rule.enabled = enabled
    after = _snapshot(rule)
    if after == before:
        return rule
    rule.updated_by_id = actor.id
    session.add(rule)
    session.flush()
    action = ("moderation.rule_enabled" if rule.enabled else "moderation.rule_disabled") \
        if {k for k in after if after[k] != before[k]} == {"enabled"} else "moderation.rule_changed"
    audit(session, actor=actor, action=action, target_type="prompt_rule", target_id=rule.id, ip=ip,
          details={"before": before, "after": after})
    _changed(session)
    return rule


def delete(session: Session, *, actor: User, rule_id: str, ip: str | None = None) -> None:
    """Remove a rule for good (the blocked-prompt log keeps its phrase and category)."""
    require_role(actor, MODERATORS, "manage moderation rules")
    rule = _rule(session, rule_id)
    before = _snapshot(rule)
    session.delete(rule)
    session.flush()
    audit(session, actor=actor, action="moderation.rule_deleted", target_type="prompt_rule", target_id=rule_id,
          ip=ip, details={"before": before, "after": None})
    _changed(session)


def check_prompt(session: Session, *, actor: User, prompt: str) -> RuleMatch:
    """Which enabled rule a prompt would be refused by, and the prompt as the screen reads it; logs nothing."""
    require_role(actor, MODERATORS, "test prompts")
    rule = screening.first_match(session, prompt)
    return RuleMatch(normalised=screening.normalise(prompt), matched=rule is not None,
                     rule_id=rule.id if rule else None, phrase=rule.phrase if rule else None,
                     category=rule.category if rule else None)
