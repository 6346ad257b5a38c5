"""Sending through the Resend HTTP API (POST /emails)."""

from __future__ import annotations

import httpx

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.email.message import EmailMessage, EmailSendError

log = get_logger(__name__)


class ResendSender:
    """4xx answers are final; 429, 5xx and network failures can be retried."""

    name = "resend"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        sender: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.api_key = api_key or settings.resend_api_key.get_secret_value()
        self.api_url = (api_url or settings.resend_api_url).rstrip("/")
        self.sender = sender or settings.email_from
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> str:
        """POST the message to Resend and return the id it assigns."""
        payload: dict[str, object] = {
            "from": self.sender,
            "to": [message.to],
            "subject": message.subject,
            "text": message.text,
        }
        if message.html is not None:
            payload["html"] = message.html
        if message.tags:
            payload["tags"] = [{"name": k, "value": v} for k, v in message.tags.items()]
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    f"{self.api_url}/emails",
                    json=payload,
                    headers={"Authorization": f"Bearer {self.api_key}"},
                )
        except httpx.HTTPError as exc:
            raise EmailSendError(f"Resend could not be reached: {type(exc).__name__}.", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise EmailSendError(
                f"Resend is unavailable ({response.status_code}).",
                retryable=True,
                retry_after=_retry_after(response),
            )
        if response.status_code >= 400:
            raise EmailSendError(
                f"Resend refused the message ({response.status_code}): {_reason(response)}", retryable=False
            )
        try:
            message_id = str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EmailSendError("Resend answered without a message id.", retryable=True) from exc
        log.info("email.sent", backend=self.name, to=message.to, subject=message.subject, message_id=message_id)
        return message_id


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
