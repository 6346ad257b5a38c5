"""Password hashing with bcrypt (cost 12)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import bcrypt

BCRYPT_ROUNDS = 12
# bcrypt reads at most 72 bytes; longer passwords are refused rather than silently cut.
MAX_PASSWORD_BYTES = 72


def hash_password(password: str, *, rounds: int = BCRYPT_ROUNDS) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return bcrypt.checkpw(password.encode()[:MAX_PASSWORD_BYTES], password_hash.encode())
    except ValueError:
        return False


# A real cost-12 hash of a throwaway string: checking a password against it for an unknown
# email takes as long as checking a real account, so timing does not reveal who is registered.
DUMMY_HASH = "$2b$12$nYJC9ETDKrCe.Y6hH1oxUe0ycJ9.NqegyPzw8KiPH4aqDH6..qrS6"
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The list of passwords too common to accept, lowercase."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def burn_time(password: str) -> None:
    """Spend the time of one real check (used when there is no account to check against)."""
    verify_password(password, DUMMY_HASH)
