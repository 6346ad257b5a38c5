"""Where to send someone after signing in: only paths of this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/generate") -> str:
    """Only same-site paths: an open redirect would turn sign-in links into phishing links."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or urlsplit(target).netloc or target.startswith("/api/"):
        return default
    return target
