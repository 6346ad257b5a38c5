"""The live card's relative times, run through the same JavaScript the browser runs (bun)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from components.generation_card import ELAPSED, STARTS

BUN = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "bun" / "bin" / "bun.exe"


def shown(filter_js: str, text: str) -> str:
    """What the card shows when react-moment renders `text` and the card's filter is applied to it."""
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN}")
    script = f"process.stdout.write(String(({filter_js})({json.dumps(text)})))"
    return subprocess.run([str(BUN), "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.parametrize("moment_text", ["in a few seconds", "in 2 minutes"])
def test_a_start_still_ahead_reads_in_the_future(moment_text: str) -> None:
    assert shown(STARTS, moment_text) == f" · starts {moment_text}"


@pytest.mark.parametrize("moment_text", ["a few seconds ago", "a minute ago"])
def test_a_start_already_due_reads_any_moment_now_never_ago(moment_text: str) -> None:
    assert shown(STARTS, moment_text) == " · starts any moment now"


def test_no_start_at_all_adds_nothing_rather_than_a_dangling_starts() -> None:
    assert shown(STARTS, "") == ""


@pytest.mark.parametrize(("moment_text", "seconds"), [("12", "12"), ("-2", "0"), ("", "0"), ("NaN", "0")])
def test_the_elapsed_seconds_are_always_a_number(moment_text: str, seconds: str) -> None:
    assert shown(ELAPSED, moment_text) == f" for {seconds} s"
