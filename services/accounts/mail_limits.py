"""Throttles on the emails anyone can make us send: reset links, confirmation links again,
"someone tried to sign up with your email", and new-address confirmations.

Each kind is counted per recipient address and per client address (services.ratelimit, in
Redis when it is configured). Counting happens before we look the address up, so being
throttled says nothing about whether an account exists.
"""

from __future__ import annotations

import math

from dreampixel.core.errors import RateLimited
from services import ratelimit

WINDOW_SECONDS = 3600
PER_RECIPIENT = 3
PER_CLIENT = 10

RESET = "reset"
VERIFY = "verify"
SIGNUP = "signup"
EMAIL_CHANGE = "email-change"


def allow(kind: str, *, to: str | None, client: str | None) -> None:
    """Count one `kind` mail asked for `to` by `client`; RateLimited past the hourly limits.

    A missing client address (a test, a worker) is not counted, so it never blocks everyone else.
    """
    decisions = []
    if to:
        decisions.append(ratelimit.hit(f"mail:{kind}:to:{to.strip().lower()}", PER_RECIPIENT, WINDOW_SECONDS))
    if client:
        decisions.append(ratelimit.hit(f"mail:{kind}:client:{client}", PER_CLIENT, WINDOW_SECONDS))
    refused = [d for d in decisions if not d.allowed]
    if refused:
        wait = max(d.reset_seconds for d in refused)
        minutes = max(1, math.ceil(wait / 60))
        raise RateLimited(f"Too many emails asked for. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                          headers={"Retry-After": str(wait)})
