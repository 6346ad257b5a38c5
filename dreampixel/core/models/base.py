"""What every table shares: prefixed ids, UTC timestamps, JSON and enum column types.

The column types here are the only place that knows how SQLite and PostgreSQL differ, so the
models read the same on both and a migration renders them as plain SQLAlchemy types.
"""

import secrets
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, String, false, text, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

# Imported for its side effect as well: the naming convention on the shared metadata.
from dreampixel.core.db import metadata

__all__ = [
    "ID_LENGTH",
    "JSONType",
    "LowercaseString",
    "StringEnum",
    "UTCDateTime",
    "metadata",
    "new_id",
    "utcnow",
]

# --- ids -----------------------------------------------------------------------------------

CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_BITS = 80
# "gen_" + 26 characters; room for a prefix of up to five letters.
ID_LENGTH = 32

_id_lock = threading.Lock()
_last_millis = -1
_last_random = 0


def _clock_millis() -> int:
    return time.time_ns() // 1_000_000


def _next_ulid_value() -> int:
    """48 bits of milliseconds then 80 random bits, strictly increasing within this process.

    Two ids made in the same millisecond would otherwise sort at random; like the ULID
    spec's monotonic mode, the second one takes the first one's random part plus one.
    """
    global _last_millis, _last_random
    with _id_lock:
        millis = _clock_millis()
        if millis <= _last_millis:  # same millisecond, or the clock stepped back
            millis = _last_millis
            random_part = _last_random + 1
            if random_part >> RANDOM_BITS:  # 2**80 ids in one millisecond: borrow the next one
                millis, random_part = millis + 1, secrets.randbits(RANDOM_BITS)
        else:
            random_part = secrets.randbits(RANDOM_BITS)
        _last_millis, _last_random = millis, random_part
    return (millis << RANDOM_BITS) | random_part


def new_id(prefix: str) -> str:
    """A prefixed, time-sortable id such as `gen_01JD5Z...`: sorting ids sorts by creation."""
    value = _next_ulid_value()
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD_BASE32[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def id_field(prefix: str) -> Any:
    return Field(default_factory=partial(new_id, prefix), primary_key=True, sa_type=String(ID_LENGTH))


OnDelete = Literal["CASCADE", "SET NULL", "RESTRICT"]


def reference(
    target: str,
    *,
    ondelete: OnDelete,
    nullable: bool = False,
    index: bool = False,
    primary_key: bool = False,
    use_alter: bool = False,
) -> Any:
    """A column holding another row's id. `use_alter` breaks a cycle between two tables."""
    return Field(
        default=None if nullable else ...,
        sa_type=String(ID_LENGTH),
        sa_column_args=[ForeignKey(target, ondelete=ondelete, use_alter=use_alter)],
        nullable=nullable,
        index=index,
        primary_key=primary_key,
    )


# --- time ----------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """`timestamptz` on PostgreSQL, text on SQLite; always an aware UTC datetime in Python.

    SQLite keeps no offset, so values are stored as UTC and marked UTC when read. Naive
    datetimes are refused rather than guessed at: a local time saved as UTC is a silent bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing a naive datetime ({value.isoformat()}); use an aware one, e.g. utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CreatedAt(SQLModel):
    created_at: datetime = created_at_field()


class Timestamps(SQLModel):
    """`created_at` and `updated_at`; the latter moves on every UPDATE the ORM issues."""

    created_at: datetime = created_at_field()
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, sa_column_kwargs={"onupdate": utcnow}
    )


# --- JSON and enums ---------------------------------------------------------------------------

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere. None is stored as SQL NULL.
# In-place changes (`row.settings["x"] = 1`) are not tracked: assign a new value instead.
JSONType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

ENUM_LENGTH = 32


class StringEnum(TypeDecorator[StrEnum]):
    """A StrEnum stored as its value in a VARCHAR, not a native PostgreSQL enum.

    Adding a member then needs no migration; an unknown value read back raises, so a
    typo cannot hide in the data.
    """

    impl = String(ENUM_LENGTH)
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum]) -> None:
        super().__init__(ENUM_LENGTH)
        self.enum_class = enum_class

    def process_bind_param(self, value: StrEnum | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)

    def __repr__(self) -> str:
        return f"StringEnum({self.enum_class.__name__})"


class LowercaseString(TypeDecorator[str]):
    """A VARCHAR whose values are stripped and lowercased on the way in, in writes and in queries.

    For email addresses: `WHERE email = 'Ada@X.io'` finds "ada@x.io", and the unique
    constraint cannot be dodged by changing case. (SQLModel overwrites what an ORM
    `@validates` hook returns, so the column type does it instead.)
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.strip().lower()


def enum_field(enum_class: type[StrEnum], default: StrEnum) -> Any:
    return Field(
        default=default,
        sa_type=StringEnum(enum_class),
        nullable=False,
        sa_column_kwargs={"server_default": default.value},
    )


def counter_field(*, default: int = 0) -> Any:
    """A NOT NULL integer with a server default, so rows inserted by hand (or old rows) get it too."""
    return Field(default=default, nullable=False, sa_column_kwargs={"server_default": text(str(default))})


def flag_field(*, default: bool = False) -> Any:
    return Field(default=default, nullable=False, sa_column_kwargs={"server_default": true() if default else false()})
