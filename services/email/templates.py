"""The emails Dream Pixel sends: each a plain-text part and a simple inline-styled HTML part.

Inline styles because mail clients drop <style> blocks; one centred card, one button, and
the link spelled out as text for clients that block buttons.
"""

from __future__ import annotations

from html import escape

from services.email.message import EmailMessage

BRAND = "#6e56cf"
TEXT = "#211f26"
MUTED = "#65636d"


def _html(*, title: str, paragraphs: list[str], button: tuple[str, str] | None, footer: str) -> str:
    body = "".join(f'<p style="margin:0 0 16px;font-size:15px;line-height:1.6;color:{TEXT}">{escape(p)}</p>'
                   for p in paragraphs)
    action = ""
    if button:
        label, url = button
        action = (
            f'<p style="margin:24px 0"><a href="{escape(url)}" style="display:inline-block;padding:12px 22px;'
            f'background:{BRAND};color:#ffffff;text-decoration:none;border-radius:10px;font-weight:600;'
            f'font-size:15px">{escape(label)}</a></p>'
            f'<p style="margin:0 0 16px;font-size:13px;line-height:1.5;color:{MUTED}">Or paste this link into '
            f'your browser:<br><span style="word-break:break-all;color:{BRAND}">{escape(url)}</span></p>'
        )
    return (
        '<!doctype html><html><body style="margin:0;padding:0;background:#f7f6f9">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f7f6f9;'
        'padding:32px 12px"><tr><td align="center">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:520px;'
        'background:#ffffff;border:1px solid #e4e2e9;border-radius:16px;padding:32px;'
        'font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif">'
        f'<tr><td><p style="margin:0 0 24px;font-size:16px;font-weight:700;color:{BRAND}">Dream Pixel</p>'
        f'<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3;color:{TEXT}">{escape(title)}</h1>'
        f"{body}{action}"
        f'<p style="margin:24px 0 0;font-size:12px;line-height:1.5;color:{MUTED}">{escape(footer)}</p>'
        "</td></tr></table></td></tr></table></body></html>"
    )


def _message(*, to: str, subject: str, title: str, paragraphs: list[str], button: tuple[str, str] | None,
             footer: str, kind: str) -> EmailMessage:
    text = "\n\n".join([title, *paragraphs, *([f"{button[0]}: {button[1]}"] if button else []), footer]) + "\n"
    return EmailMessage(to=to, subject=subject, text=text,
                        html=_html(title=title, paragraphs=paragraphs, button=button, footer=footer),
                        tags={"kind": kind})


def _hello(name: str) -> str:
    return f"Hi {name}," if name else "Hi,"


def verify_email(*, to: str, name: str, link: str) -> EmailMessage:
    return _message(
        to=to, subject="Confirm your email for Dream Pixel", title="Confirm your email", kind="verify_email",
        paragraphs=[_hello(name), "Welcome to Dream Pixel. Confirm your address to start generating images."],
        button=("Confirm email", link),
        footer="The link works once and expires in 24 hours. If you did not sign up, ignore this email.",
    )


def reset_password(*, to: str, name: str, link: str) -> EmailMessage:
    return _message(
        to=to, subject="Reset your Dream Pixel password", title="Reset your password", kind="reset_password",
        paragraphs=[_hello(name), "Someone (hopefully you) asked to reset the password of your Dream Pixel account."],
        button=("Choose a new password", link),
        footer="The link works once and expires in 1 hour. Resetting signs you out everywhere and revokes "
               "your API keys. "
               "If you did not ask for this, ignore this email: your password stays as it is.",
    )


def email_change(*, to: str, name: str, link: str) -> EmailMessage:
    return _message(
        to=to, subject="Confirm your new email for Dream Pixel", title="Confirm your new email", kind="email_change",
        paragraphs=[_hello(name), f"Confirm that {to} should become the email of your Dream Pixel account. "
                    "Until you do, the account keeps its current address."],
        button=("Confirm new email", link),
        footer="The link works once and expires in 24 hours. If you did not ask for this, ignore this email.",
    )


def access_reset(*, to: str, name: str, api_keys: int, link: str) -> EmailMessage:
    keys = (f"Your {api_keys} API key{'s were' if api_keys != 1 else ' was'} revoked too: programs using "
            f"{'them' if api_keys != 1 else 'it'} need a new key, which you can create on your account page."
            if api_keys else "Any API keys you create from now on are unaffected.")
    return _message(
        to=to, subject="Your Dream Pixel password was changed", title="Your password was changed",
        kind="access_reset",
        paragraphs=[_hello(name), "The password of your Dream Pixel account was just changed, and every other "
                    "signed-in browser was signed out.", keys],
        button=("Go to your account", link),
        footer="If you did not do this, reset your password right away from the sign-in page.",
    )


def email_changed(*, to: str, name: str, new_email: str, link: str) -> EmailMessage:
    return _message(
        to=to, subject="The email of your Dream Pixel account was changed", title="Your email was changed",
        kind="email_changed",
        paragraphs=[_hello(name), f"Your Dream Pixel account now uses {new_email} instead of this address, and "
                    "every other signed-in browser was signed out.",
                    "If you did not ask for this, undo it: your account goes back to this address, everyone "
                    "signed in to it is signed out, its API keys are revoked and you choose a new password."],
        button=("Undo this change", link),
        footer="The undo link works once, for 7 days. If you made this change, ignore this email.",
    )


def signup_attempt(*, to: str, login_link: str, reset_link: str) -> EmailMessage:
    return _message(
        to=to, subject="Someone tried to sign up with your email", title="You already have an account",
        kind="signup_attempt",
        paragraphs=["Someone tried to create a Dream Pixel account with this email address, which already has one.",
                    f"If it was you, sign in instead, or reset your password here: {reset_link}"],
        button=("Sign in", login_link),
        footer="If it was not you, nothing has changed and you can ignore this email.",
    )


def generation_failed(*, to: str, name: str, prompt: str, reason: str, link: str) -> EmailMessage:
    short = prompt if len(prompt) <= 120 else prompt[:117] + "..."
    return _message(
        to=to, subject="Your image could not be generated", title="A generation failed", kind="generation_failed",
        paragraphs=[_hello(name), f"We could not finish “{short}”: {reason}",
                    "The credits held for it were returned to your balance."],
        button=("Try again", link),
        footer="You receive this because a generation you started failed.",
    )


def credits_low(*, to: str, name: str, balance: int, link: str) -> EmailMessage:
    return _message(
        to=to, subject="Your Dream Pixel credits are running low", title="Credits running low", kind="credits_low",
        paragraphs=[_hello(name), f"Your balance is down to {balance} credit{'s' if balance != 1 else ''}."
                    " Top up or change your plan to keep generating without interruption."],
        button=("See plans", link),
        footer="You receive this when your balance falls below your plan's threshold.",
    )


def daily_limit(*, to: str, name: str, used: int, limit: int, link: str) -> EmailMessage:
    reached = used >= limit
    return _message(
        to=to, subject="You reached today's Dream Pixel limit" if reached else "You used most of today's generations",
        title="Daily limit reached" if reached else "Daily limit nearly reached", kind="daily_limit",
        paragraphs=[_hello(name), f"You have used {used} of your {limit} generation{'s' if limit != 1 else ''} "
                    "for today. The limit counts the last 24 hours, so generations become possible again "
                    "as the oldest ones leave it. A higher plan raises it."],
        button=("See plans", link),
        footer="You receive this at most once a day for each of 80 % and 100 % of your daily limit.",
    )


def subscription_changed(*, to: str, name: str, plan: str, status: str, link: str) -> EmailMessage:
    return _message(
        to=to, subject=f"Your Dream Pixel plan: {plan}", title="Your subscription changed",
        kind="subscription_changed",
        paragraphs=[_hello(name), f"Your plan is now {plan} (status: {status})."],
        button=("Manage billing", link),
        footer="You receive this whenever your subscription changes.",
    )


def webhook_disabled(*, to: str, name: str, url: str, failures: int, link: str) -> EmailMessage:
    return _message(
        to=to, subject="A Dream Pixel webhook endpoint was disabled", title="Webhook endpoint disabled",
        kind="webhook_disabled",
        paragraphs=[_hello(name), f"Deliveries to {url} failed {failures} times in a row, so we stopped sending "
                    "events to it. Fix the receiver, then enable the endpoint again and redeliver what it missed."],
        button=("Manage webhooks", link),
        footer="You receive this because an endpoint you registered kept failing.",
    )
