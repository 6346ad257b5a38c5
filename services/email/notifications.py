"""Emails the app sends about an account, queued to the `email.send` job after the commit.

Each function builds the message from services.email.templates and enqueues it on the
caller's session, so nothing is sent if the unit of work rolls back.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from sqlmodel import Session

from dreampixel.core.settings import settings
from services.email import EmailMessage, templates
from services.jobs.service import enqueue_after_commit


def link(path: str, **query: str) -> str:
    """An absolute link into the app (`settings.base_url`)."""
    return f"{settings.base_url}{path}" + (f"?{urlencode(query)}" if query else "")


def queue(session: Session, message: EmailMessage) -> None:
    enqueue_after_commit(session, "email.send", dataclasses.asdict(message))


def send_verification(session: Session, *, to: str, name: str, token: str) -> None:
    queue(session, templates.verify_email(to=to, name=name, link=link("/verify", token=token)))


def send_email_change(session: Session, *, to: str, name: str, token: str) -> None:
    queue(session, templates.email_change(to=to, name=name, link=link("/verify", token=token)))


def send_password_reset(session: Session, *, to: str, name: str, token: str) -> None:
    queue(session, templates.reset_password(to=to, name=name, link=link("/reset", token=token)))


def send_access_reset(session: Session, *, to: str, name: str, api_keys: int) -> None:
    queue(session, templates.access_reset(to=to, name=name, api_keys=api_keys, link=link("/account")))


def send_email_changed(session: Session, *, to: str, name: str, new_email: str, token: str) -> None:
    queue(session, templates.email_changed(to=to, name=name, new_email=new_email,
                                           link=link("/verify", token=token)))


def send_signup_attempt(session: Session, *, to: str) -> None:
    queue(session, templates.signup_attempt(to=to, login_link=link("/login"), reset_link=link("/forgot")))


def send_generation_failed(session: Session, *, to: str, name: str, prompt: str, reason: str) -> None:
    queue(session, templates.generation_failed(to=to, name=name, prompt=prompt, reason=reason,
                                               link=link("/generate")))


def send_credits_low(session: Session, *, to: str, name: str, balance: int) -> None:
    queue(session, templates.credits_low(to=to, name=name, balance=balance, link=link("/pricing")))


def send_daily_limit(session: Session, *, to: str, name: str, used: int, limit: int) -> None:
    queue(session, templates.daily_limit(to=to, name=name, used=used, limit=limit, link=link("/pricing")))


def send_subscription_changed(session: Session, *, to: str, name: str, plan: str, status: str) -> None:
    queue(session, templates.subscription_changed(to=to, name=name, plan=plan, status=status,
                                                  link=link("/account")))


def send_webhook_disabled(session: Session, *, to: str, name: str, url: str, failures: int) -> None:
    queue(session, templates.webhook_disabled(to=to, name=name, url=url, failures=failures,
                                              link=link("/account", tab="webhooks")))
