"""Prompt screening: disguised spellings of a blocked term are read as the term itself."""

from __future__ import annotations

import pytest

from services.moderation.service import PromptBlocked, screen

ZERO_WIDTH_SPACE = "\u200b"
ZERO_WIDTH_JOINER = "\u200d"
SOFT_HYPHEN = "\u00ad"
WORD_JOINER = "\u2060"
BYTE_ORDER_MARK = "\ufeff"
IDEOGRAPHIC_SPACE = "\u3000"
CYRILLIC_O = "\u043e"
CYRILLIC_A = "\u0430"
GREEK_OMICRON = "\u03bf"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else IDEOGRAPHIC_SPACE for ch in text)


@pytest.mark.parametrize("invisible", [ZERO_WIDTH_SPACE, ZERO_WIDTH_JOINER, SOFT_HYPHEN, WORD_JOINER, BYTE_ORDER_MARK])
def test_zero_width_characters_inside_a_blocked_term_do_not_hide_it(invisible: str) -> None:
    with pytest.raises(PromptBlocked):
        screen(f"a scene full of go{invisible}re")


def test_fullwidth_letters_and_spaces_spell_the_blocked_term() -> None:
    # Two ideographic spaces between the words: fullwidth text is usually spaced wider.
    with pytest.raises(PromptBlocked):
        screen(fullwidth("revenge  porn of my neighbour"))


@pytest.mark.parametrize("disguised", [f"g{CYRILLIC_O}re", f"sw{CYRILLIC_A}stika banner", f"g{GREEK_OMICRON}re",
                                       f"SW{CYRILLIC_A.upper()}STIKA"])
def test_lookalike_letters_from_other_scripts_spell_the_blocked_term(disguised: str) -> None:
    with pytest.raises(PromptBlocked):
        screen(disguised)


def test_punctuation_and_line_breaks_between_words_do_not_hide_a_term() -> None:
    with pytest.raises(PromptBlocked):
        screen("a deepfake\n\n--nude of a singer")


# A mountain by the sea (Russian), a Greek island in summer: real words in other scripts.
RUSSIAN = "\u0433\u043e\u0440\u0430 \u0443 \u043c\u043e\u0440\u044f"
GREEK = "\u03b5\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03cc \u03bd\u03b7\u03c3\u03af"


@pytest.mark.parametrize("harmless", ["a café in Paris at dawn", RUSSIAN, "a gorgeous sunset", GREEK,
                                      fullwidth("tokyo neon streets")])
def test_ordinary_prompts_in_any_script_pass(harmless: str) -> None:
    screen(harmless)
