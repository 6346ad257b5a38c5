"""Prompt screening before any credit is held or any provider is called."""

from __future__ import annotations

import re
import unicodedata

from dreampixel.core.errors import DreamPixelError


class PromptBlocked(DreamPixelError):
    status_code = 422
    code = "prompt_blocked"
    title = "Prompt blocked"


# Terms no provider accepts; refusing them here saves a paid round trip and explains why.
BLOCKED_TERMS = {
    "child sexual": "sexual content involving minors",
    "csam": "sexual content involving minors",
    "underage nude": "sexual content involving minors",
    "loli": "sexual content involving minors",
    "beheading": "graphic violence",
    "gore": "graphic violence",
    "dismembered": "graphic violence",
    "swastika": "hate symbols",
    "nazi propaganda": "hate symbols",
    "revenge porn": "non-consensual sexual content",
    "deepfake nude": "non-consensual sexual content",
}
_WORD = {term: re.compile(r"\b" + re.escape(term) + r"\b") for term in BLOCKED_TERMS}


def _normalise(text: str) -> str:
    # Fold accents and full-width letters so disguised spellings of a term still match it.
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()


def screen(prompt: str) -> None:
    """Raise PromptBlocked, naming the policy, when the prompt asks for what we never make."""
    text = _normalise(prompt)
    for term, pattern in _WORD.items():
        if pattern.search(text):
            raise PromptBlocked(
                f"This prompt asks for {BLOCKED_TERMS[term]}, which Dream Pixel does not generate. "
                "Rephrase it without that and try again.",
                errors=[{"field": "prompt", "message": f"Not allowed: {BLOCKED_TERMS[term]}."}],
            )
