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


def _normalise(text: str) -> str:
    """The prompt as the filter reads it: NFKC, no invisible or combining marks, casefolded,
    lookalike letters mapped to Latin, and every run of separators one space."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    # Format characters (zero-width spaces and joiners, soft hyphens, BOM) and combining
    # marks (accents, variation selectors) change nothing a reader sees.
    visible = "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cf", "Mn", "Me"))
    latin = unicodedata.normalize("NFKC", visible).casefold().translate(CONFUSABLES)
    return _SEPARATORS.sub(" ", latin).strip()


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
