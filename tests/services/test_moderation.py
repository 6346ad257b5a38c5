"""Prompt screening against the rules table: disguised spellings of a rule's phrase are read as the
phrase itself, only whole words match, and staff manage the rules (audited)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from dreampixel.core.errors import Conflict, Forbidden, ValidationFailed
from dreampixel.core.models import AuditLog, PromptRule, Role, User
from dreampixel.core.settings import settings
from services.moderation import rules
from services.moderation.service import PromptBlocked, first_match, screen
from tests.factories import create_user

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


def blocked(session: Session, prompt: str) -> str | None:
    """The category the screen refuses `prompt` for, or None."""
    rule = first_match(session, prompt)
    return rule.category if rule else None


@pytest.fixture
def moderator(session: Session) -> User:
    return create_user(session, role=Role.MODERATOR)


# ---- the rules the platform ships with (seeded by the migration) ----------------------------------------


@pytest.mark.parametrize("invisible", [ZERO_WIDTH_SPACE, ZERO_WIDTH_JOINER, SOFT_HYPHEN, WORD_JOINER, BYTE_ORDER_MARK])
def test_zero_width_characters_inside_a_blocked_term_do_not_hide_it(session: Session, invisible: str) -> None:
    assert blocked(session, f"a scene full of go{invisible}re") == "graphic violence"


def test_fullwidth_letters_and_spaces_spell_the_blocked_term(session: Session) -> None:
    # Two ideographic spaces between the words: fullwidth text is usually spaced wider.
    assert blocked(session, fullwidth("revenge  porn of my neighbour")) == "non-consensual sexual content"


@pytest.mark.parametrize("disguised", [f"g{CYRILLIC_O}re", f"sw{CYRILLIC_A}stika banner", f"g{GREEK_OMICRON}re",
                                       f"SW{CYRILLIC_A.upper()}STIKA"])
def test_lookalike_letters_from_other_scripts_spell_the_blocked_term(session: Session, disguised: str) -> None:
    assert blocked(session, disguised) is not None


def test_punctuation_and_line_breaks_between_words_do_not_hide_a_term(session: Session) -> None:
    assert blocked(session, "a deepfake\n\n--nude of a singer") == "non-consensual sexual content"


# A mountain by the sea (Russian), a Greek island in summer: real words in other scripts.
RUSSIAN = "\u0433\u043e\u0440\u0430 \u0443 \u043c\u043e\u0440\u044f"
GREEK = "\u03b5\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03cc \u03bd\u03b7\u03c3\u03af"


@pytest.mark.parametrize("harmless", ["a café in Paris at dawn", RUSSIAN, "a gorgeous sunset", GREEK,
                                      fullwidth("tokyo neon streets")])
def test_ordinary_prompts_in_any_script_pass(session: Session, harmless: str) -> None:
    assert blocked(session, harmless) is None


def test_every_term_the_screen_had_built_in_is_a_rule_after_the_migration(session: Session) -> None:
    phrases = {rule.phrase: rule.category for rule in session.exec(select(PromptRule)).all()}
    assert {"gore": "graphic violence", "swastika": "hate symbols", "csam": "sexual content involving minors",
            "deepfake nude": "non-consensual sexual content"}.items() <= phrases.items()
    assert len(phrases) >= 11


def test_the_refusal_names_the_category_and_not_the_word_list(session: Session,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "moderation_strike_limit", 3)
    monkeypatch.setattr(settings, "moderation_strike_window_days", 30)
    with pytest.raises(PromptBlocked) as refused:
        screen(session, prompt="extreme GORE scene", user=create_user(session))
    assert "graphic violence" in refused.value.message
    assert "gore" not in refused.value.message.lower().replace("graphic", "")
    assert "swastika" not in refused.value.message and "beheading" not in refused.value.message
    assert "refused 3 times within 30 days is suspended" in refused.value.message
    session.info.clear()  # the block this test leaves pending is tested in test_moderation_strikes


# ---- rules staff add -----------------------------------------------------------------------------------


def test_a_rule_matches_whole_words_only(session: Session, moderator: User) -> None:
    rules.create(session, actor=moderator, phrase="ass", category="insults")
    assert blocked(session, "a class photo of the brass band") is None
    assert blocked(session, "an assassin passing by") is None
    assert blocked(session, "kick ass, then") == "insults"
    assert blocked(session, "ASS!") == "insults"


def test_fullwidth_and_zero_width_spellings_of_a_new_rule_match(session: Session, moderator: User) -> None:
    rules.create(session, actor=moderator, phrase="Moon Cheese", category="dairy lies")
    assert blocked(session, fullwidth("moon cheese")) == "dairy lies"
    assert blocked(session, f"m{ZERO_WIDTH_SPACE}oon   ch{SOFT_HYPHEN}eese") == "dairy lies"
    assert blocked(session, f"m{CYRILLIC_O}{CYRILLIC_O}n cheese") == "dairy lies"
    assert blocked(session, "moonlit cheese board") is None


def test_a_disabled_rule_stops_matching_and_a_deleted_one_is_gone(session: Session, moderator: User) -> None:
    rule = rules.create(session, actor=moderator, phrase="pineapple pizza", category="culinary crimes")
    assert blocked(session, "a pineapple pizza") == "culinary crimes"
    rules.update(session, actor=moderator, rule_id=rule.id, enabled=False)
    assert blocked(session, "a pineapple pizza") is None
    rules.update(session, actor=moderator, rule_id=rule.id, enabled=True)
    assert blocked(session, "a pineapple pizza") == "culinary crimes"
    rules.delete(session, actor=moderator, rule_id=rule.id)
    assert blocked(session, "a pineapple pizza") is None


def test_editing_a_rule_changes_what_it_matches(session: Session, moderator: User) -> None:
    rule = rules.create(session, actor=moderator, phrase="grey goo", category="nanotech")
    rules.update(session, actor=moderator, rule_id=rule.id, phrase="gray goo", category="nanotechnology")
    assert blocked(session, "grey goo") is None
    assert blocked(session, "a sea of gray goo") == "nanotechnology"


def test_every_change_to_a_rule_is_audited_with_before_and_after(session: Session, moderator: User) -> None:
    rule = rules.create(session, actor=moderator, phrase="tapioca", category="textures")
    rules.update(session, actor=moderator, rule_id=rule.id, enabled=False)
    rules.update(session, actor=moderator, rule_id=rule.id, category="puddings")
    rules.delete(session, actor=moderator, rule_id=rule.id)
    rows = session.exec(select(AuditLog).where(col(AuditLog.target_id) == rule.id)
                        .order_by(col(AuditLog.created_at), col(AuditLog.id))).all()
    assert [row.action for row in rows] == ["moderation.rule_created", "moderation.rule_disabled",
                                            "moderation.rule_changed", "moderation.rule_deleted"]
    assert all(row.actor_id == moderator.id for row in rows)
    assert rows[1].details["before"]["enabled"] is True and rows[1].details["after"]["enabled"] is False
    assert rows[2].details["before"]["category"] == "textures" and rows[2].details["after"]["category"] == "puddings"
    assert rows[3].details["after"] is None


def test_two_spellings_that_read_the_same_are_one_rule(session: Session, moderator: User) -> None:
    rules.create(session, actor=moderator, phrase="Lava Lamp", category="retro")
    with pytest.raises(Conflict):
        rules.create(session, actor=moderator, phrase=fullwidth("lava  lamp"), category="other")


@pytest.mark.parametrize(("phrase", "category"), [("", "x"), ("!!! ...", "x"), ("fine", ""), ("a" * 201, "x")])
def test_a_rule_needs_a_phrase_of_letters_and_a_category(session: Session, moderator: User, phrase: str,
                                                         category: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.create(session, actor=moderator, phrase=phrase, category=category)


def test_a_user_cannot_manage_or_test_rules(session: Session) -> None:
    user = create_user(session)
    with pytest.raises(Forbidden):
        rules.create(session, actor=user, phrase="anything", category="x")
    with pytest.raises(Forbidden):
        rules.check_prompt(session, actor=user, prompt="gore")
    with pytest.raises(Forbidden):
        rules.list_rules(session, actor=user)


def test_testing_a_prompt_names_the_rule_it_matches(session: Session, moderator: User) -> None:
    found = rules.check_prompt(session, actor=moderator, prompt=f"a go{ZERO_WIDTH_SPACE}re fest")
    assert found.matched and found.phrase == "gore" and found.category == "graphic violence"
    assert found.normalised == "a gore fest"
    assert not rules.check_prompt(session, actor=moderator, prompt="a gorgeous fest").matched
