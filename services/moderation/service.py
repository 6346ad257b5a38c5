"""Prompt screening before any credit is held or any provider is called.

The words and phrases come from the `prompt_rules` table (services.moderation.rules, managed on
/admin/moderation); this module holds how a prompt is read (`normalise`) and the verdict
(`screen`). A refusal is recorded, with its strike, once the submitting transaction ends
(services.moderation.blocks).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.models import GenerationSource, PromptRule, User
from dreampixel.core.settings import settings
from services.moderation import blocks


class PromptBlocked(DreamPixelError):
    status_code = 422
    code = "prompt_blocked"
    title = "Prompt blocked"


# Letters from other scripts that look like Latin ones (after NFKC and casefolding): the
# common lookalikes of Unicode's confusables list, enough to spell any blocked term. Named,
# not written, so that the table itself cannot be misread.
_LOOKALIKES = {
    "a": ("CYRILLIC SMALL LETTER A", "GREEK SMALL LETTER ALPHA", "LATIN SMALL LETTER ALPHA"),
    "b": ("CYRILLIC SMALL LETTER VE", "CYRILLIC SMALL LETTER SOFT SIGN", "GREEK SMALL LETTER BETA"),
    "c": ("CYRILLIC SMALL LETTER ES",),
    "d": ("CYRILLIC SMALL LETTER KOMI DE",),
    "e": ("CYRILLIC SMALL LETTER IE", "CYRILLIC SMALL LETTER IO", "GREEK SMALL LETTER EPSILON"),
    "g": ("LATIN SMALL LETTER SCRIPT G", "ARMENIAN SMALL LETTER CO"),
    "h": ("CYRILLIC SMALL LETTER SHHA", "CYRILLIC SMALL LETTER EN"),
    "i": ("CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I", "CYRILLIC SMALL LETTER YI", "LATIN SMALL LETTER IOTA",
          "GREEK SMALL LETTER IOTA", "LATIN SMALL LETTER DOTLESS I"),
    "j": ("CYRILLIC SMALL LETTER JE", "LATIN SMALL LETTER DOTLESS J"),
    "k": ("CYRILLIC SMALL LETTER KA", "GREEK SMALL LETTER KAPPA"),
    "l": ("CYRILLIC SMALL LETTER PALOCHKA", "SCRIPT SMALL L"),
    "m": ("CYRILLIC SMALL LETTER EM",),
    "n": ("GREEK SMALL LETTER ETA",),
    "o": ("CYRILLIC SMALL LETTER O", "GREEK SMALL LETTER OMICRON", "GREEK SMALL LETTER SIGMA",
          "ARMENIAN SMALL LETTER OH"),
    "p": ("CYRILLIC SMALL LETTER ER", "GREEK SMALL LETTER RHO"),
    "q": ("CYRILLIC SMALL LETTER QA",),
    "s": ("CYRILLIC SMALL LETTER DZE", "GREEK SMALL LETTER FINAL SIGMA"),
    "t": ("CYRILLIC SMALL LETTER TE", "GREEK SMALL LETTER TAU"),
    "u": ("GREEK SMALL LETTER UPSILON", "ARMENIAN SMALL LETTER SEH"),
    "v": ("CYRILLIC SMALL LETTER IZHITSA", "GREEK SMALL LETTER NU"),
    "w": ("CYRILLIC SMALL LETTER WE", "GREEK SMALL LETTER OMEGA"),
    "x": ("CYRILLIC SMALL LETTER HA", "GREEK SMALL LETTER CHI"),
    "y": ("CYRILLIC SMALL LETTER U", "GREEK SMALL LETTER GAMMA"),
}
CONFUSABLES = str.maketrans({unicodedata.lookup(name): latin for latin, names in _LOOKALIKES.items() for name in names})
# Anything that is not a letter or a digit separates words, however many of it there are.
_SEPARATORS = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """The prompt as the filter reads it: NFKC, no invisible or combining marks, casefolded,
    lookalike letters mapped to Latin, and every run of separators one space."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    # Format characters (zero-width spaces and joiners, soft hyphens, BOM) and combining
    # marks (accents, variation selectors) change nothing a reader sees.
    visible = "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cf", "Mn", "Me"))
    latin = unicodedata.normalize("NFKC", visible).casefold().translate(CONFUSABLES)
    return _SEPARATORS.sub(" ", latin).strip()


@dataclass(frozen=True)
class ActiveRule:
    id: str
    phrase: str
    category: str
    pattern: re.Pattern[str]


def word_pattern(normalised_phrase: str) -> re.Pattern[str]:
    """The phrase as whole words of a normalised prompt: rule "ass" does not match "class"."""
    return re.compile(r"(?<!\w)" + re.escape(normalised_phrase) + r"(?!\w)")


# Enabled rules, compiled, per database, for a few seconds: a submit costs no query for them.
# A change made in this process clears it at once (and again when its transaction ends);
# other processes see it within RULE_CACHE_SECONDS.
RULE_CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, list[ActiveRule]]] = {}
_cache_lock = threading.Lock()


def _database_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def invalidate_rules() -> None:
    """Forget the cached rules of every database (after any change to `prompt_rules`)."""
    with _cache_lock:
        _cache.clear()


def active_rules(session: Session) -> list[ActiveRule]:
    """The enabled rules, longest phrase first (the most specific match names the category)."""
    key, now = _database_key(session), time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < RULE_CACHE_SECONDS:
        return cached[1]
    rows = session.exec(select(PromptRule).where(col(PromptRule.enabled).is_(True))).all()
    ordered = sorted((row for row in rows if row.normalised), key=lambda row: (-len(row.normalised), row.id))
    compiled = [ActiveRule(id=row.id, phrase=row.phrase, category=row.category, pattern=word_pattern(row.normalised))
                for row in ordered]
    with _cache_lock:
        _cache[key] = (now, compiled)
    return compiled


def first_match(session: Session, prompt: str) -> ActiveRule | None:
    """The enabled rule the prompt matches, read the way the screen reads it; None when it passes."""
    text = normalise(prompt)
    return next((rule for rule in active_rules(session) if rule.pattern.search(text)), None)


def screen(session: Session, *, prompt: str, user: User, source: GenerationSource | str = "web") -> None:
    """Raise PromptBlocked, naming the rule's category, when the prompt matches an enabled rule.

    The refusal is logged as a strike against `user` after the caller's transaction ends (it
    is rolled back by the refusal itself), so the log survives what the refusal undoes.
    """
    rule = first_match(session, prompt)
    if rule is None:
        return
    blocks.record_when_done(session, blocks.PendingBlock(
        user_id=user.id, prompt=prompt, rule_id=rule.id, phrase=rule.phrase, category=rule.category,
        source=str(getattr(source, "value", source))))
    limit = settings.moderation_strike_limit
    warning = (f" An account whose prompts are refused {limit} times within "
               f"{settings.moderation_strike_window_days} days is suspended." if limit > 0 else "")
    raise PromptBlocked(
        f"This prompt asks for {rule.category}, which Dream Pixel does not generate. "
        f"Rephrase it without that and try again.{warning}",
        errors=[{"field": "prompt", "message": f"Not allowed: {rule.category}."}],
    )
