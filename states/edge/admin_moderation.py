"""The moderation page's edge: the seed queue, prompt rules, the prompt tester and the blocked-prompt log.

Every function loads the viewer as staff (admin or moderator) in its own unit of work
(services.admin.service.staff: 404 for anyone else) and returns display values.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dreampixel.core.db import uow
from services.admin import service
from services.admin.service import MODERATORS
from services.moderation import blocks, rules
from services.moderation.schemas import BlockedPromptPublic, RulePublic, SeedQueueEntry
from services.seeds import moderation as seeds
from states.edge.accounts import Viewer
from states.edge.admin import parse_day, when

Row = dict[str, str]
EXAMPLES_SHOWN = 4
RECIPE_SETTINGS = ("width", "height", "steps", "guidance_scale", "seed", "format", "provider")


def _recipe_settings(recipe: dict[str, Any]) -> str:
    size = f"{recipe['width']}x{recipe['height']}" if recipe.get("width") and recipe.get("height") else ""
    rest = [f"{key.replace('_', ' ')} {recipe[key]}" for key in RECIPE_SETTINGS[2:] if recipe.get(key) not in (None, "")]
    return " · ".join(part for part in (size, *rest) if part)


def _seed_row(entry: SeedQueueEntry) -> Row:
    thumbs = [example.thumbnail_url for example in entry.examples][:EXAMPLES_SHOWN]
    row = {"id": entry.id, "title": entry.title, "description": entry.description, "category": entry.category.lower(),
           "creator": entry.creator_email or "deleted account", "creator_id": entry.creator_id or "",
           "status": entry.moderation_status.lower(), "reason": entry.moderation_reason or "",
           "featured": "yes" if entry.featured else "", "submitted": when(entry.created_at),
           "decided": when(entry.moderated_at) if entry.moderated_at else "",
           "examples": f"{len(entry.examples)} example{'' if len(entry.examples) == 1 else 's'}",
           "prompt": str(entry.recipe.get("prompt", "")), "negative": str(entry.recipe.get("negative_prompt") or ""),
           "settings": _recipe_settings(entry.recipe)}
    for number in range(EXAMPLES_SHOWN):
        row[f"example_{number}"] = thumbs[number] if number < len(thumbs) else ""
    return row


def _rule_row(rule: RulePublic) -> Row:
    return {"id": rule.id, "phrase": rule.phrase, "category": rule.category, "enabled": "yes" if rule.enabled else "",
            "state": "enabled" if rule.enabled else "disabled", "added_by": rule.created_by or "built in",
            "added": when(rule.created_at), "changed": when(rule.updated_at)}


def _blocked_row(entry: BlockedPromptPublic) -> Row:
    return {"id": entry.id, "at": when(entry.created_at), "user": entry.user_email or entry.user_id,
            "user_id": entry.user_id, "prompt": entry.prompt_excerpt, "rule": entry.phrase, "category": entry.category,
            "source": entry.source, "outcome": "refused, suspended" if entry.suspended else "refused"}


# ---- seeds -----------------------------------------------------------------------------------------------


def seed_queue(viewer: Viewer, *, status: str, category: str) -> list[Row]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        return [_seed_row(entry) for entry in seeds.queue(session, actor=actor, status=status, category=category)]


def decide_seed(viewer: Viewer, *, seed_id: str, decision: str, reason: str, category: str) -> str:
    """Approve, reject, feature, unfeature or recategorise one seed; returns what the page says."""
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        if decision in ("approve", "reject"):
            seeds.moderate_seed(session, actor=actor, seed_id=seed_id, approve=decision == "approve", reason=reason)
            return ("Approved: the seed is in the marketplace." if decision == "approve"
                    else "Rejected; the creator sees why.")
        if decision in ("feature", "unfeature"):
            seeds.set_featured(session, actor=actor, seed_id=seed_id, featured=decision == "feature", reason=reason)
            return ("Featured: it leads the marketplace." if decision == "feature"
                    else "No longer featured.")
        if decision == "recategorise":
            seed = seeds.recategorise(session, actor=actor, seed_id=seed_id, category=category, reason=reason)
            return f"Moved to {seed.category.value.lower()}."
        raise service.NoSuchPage()


# ---- prompt rules ------------------------------------------------------------------------------------------


def prompt_rules(viewer: Viewer, *, q: str, category: str) -> tuple[list[Row], list[str]]:
    """The rules (filtered) and every category in use."""
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        shown = [_rule_row(rule) for rule in rules.list_rules(session, actor=actor, q=q, category=category)]
        return shown, rules.categories(session)


def add_rule(viewer: Viewer, *, phrase: str, category: str) -> str:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        rule = rules.create(session, actor=actor, phrase=phrase, category=category)
        return f"Rule added: \u201c{rule.phrase}\u201d ({rule.category})."


def change_rule(viewer: Viewer, *, rule_id: str, phrase: str | None = None, category: str | None = None,
                enabled: bool | None = None) -> str:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        rule = rules.update(session, actor=actor, rule_id=rule_id, phrase=phrase, category=category, enabled=enabled)
        if phrase is None and category is None:
            return f"\u201c{rule.phrase}\u201d is {'enabled' if rule.enabled else 'disabled'}."
        return f"Rule saved: \u201c{rule.phrase}\u201d ({rule.category})."


def delete_rule(viewer: Viewer, *, rule_id: str) -> str:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        rules.delete(session, actor=actor, rule_id=rule_id)
        return "Rule deleted."


def check_prompt(viewer: Viewer, *, prompt: str) -> Row:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        found = rules.check_prompt(session, actor=actor, prompt=prompt)
    verdict = (f"Refused by \u201c{found.phrase}\u201d ({found.category})." if found.matched
               else "No rule matches: this prompt would be accepted.")
    return {"verdict": verdict, "matched": "yes" if found.matched else "", "reading": found.normalised}


# ---- blocked prompts ---------------------------------------------------------------------------------------


def blocked_prompts(viewer: Viewer, *, user: str, category: str, source: str, since: str, until: str) -> list[Row]:
    with uow() as session:
        actor = service.staff(session, user_id=viewer.user_id, allowed=MODERATORS)
        end = parse_day(until)
        found = blocks.search(session, actor=actor, user=user, category=category, source=source, since=parse_day(since),
                              until=end + timedelta(days=1) if end else None)
        return [_blocked_row(BlockedPromptPublic.of(row, email)) for row, email in found]
