"""`/developers`: quick start, copyable samples, webhook verification, errors and rate limits."""

from __future__ import annotations

import reflex as rx

from components.account import reauth_dialog
from components.developers import developer_section, key_export, key_quick_start, reference_table, sample_tabs
from components.layout import content
from components.seeds import page_heading
from dreampixel.pages.shell import page
from states.developers import DEFAULT_KEY_NAME, DevelopersState
from states.edge import plans

BASE = "https://your-dream-pixel.example"

SUBMIT = [
    ("curl", f"""curl -s -X POST {BASE}/api/v1/generations \\
  -H "x-api-key: $DREAMPIXEL_API_KEY" -H "content-type: application/json" \\
  -H "Idempotency-Key: $(uuidgen)" \\
  -d '{{"prompt": "a lighthouse at dawn", "width": 1024, "height": 768, "metadata": {{"order": "A-17"}}}}'"""),
    ("Python", f"""import os, httpx

api = httpx.Client(base_url="{BASE}/api/v1",
                   headers={{"x-api-key": os.environ["DREAMPIXEL_API_KEY"]}})
generation = api.post("/generations", json={{"prompt": "a lighthouse at dawn",
                                            "width": 1024, "height": 768}}).json()
print(generation["id"], generation["status"])"""),
    ("JavaScript", f"""const api = "{BASE}/api/v1";
const headers = {{ "x-api-key": process.env.DREAMPIXEL_API_KEY, "content-type": "application/json" }};
const generation = await (await fetch(`${{api}}/generations`, {{
  method: "POST", headers,
  body: JSON.stringify({{ prompt: "a lighthouse at dawn", width: 1024, height: 768 }}),
}})).json();
console.log(generation.id, generation.status);"""),
]

WAIT = [
    ("curl", f"""# Prefer: wait=N answers 201 with the finished generation if it ends within N s (max 60)
curl -s -X POST {BASE}/api/v1/generations -H "x-api-key: $DREAMPIXEL_API_KEY" \\
  -H "content-type: application/json" -H "Prefer: wait=30" -d '{{"prompt": "a fox in snow"}}'
# or poll
curl -s {BASE}/api/v1/generations/$GEN -H "x-api-key: $DREAMPIXEL_API_KEY\""""),
    ("Python", """import time

while generation["status"] in ("queued", "processing"):
    time.sleep(1)
    generation = api.get(f"/generations/{generation['id']}").json()"""),
    ("JavaScript", """while (["queued", "processing"].includes(generation.status)) {
  await new Promise((r) => setTimeout(r, 1000));
  generation = await (await fetch(`${api}/generations/${generation.id}`, { headers })).json();
}"""),
]

STREAM = [
    ("curl", f"""# Server-Sent Events: every status change; `id:` on each, a `: ping` every 15 s
curl -N {BASE}/api/v1/generations/$GEN/events -H "x-api-key: $DREAMPIXEL_API_KEY\""""),
    ("Python", """import json

with api.stream("GET", f"/generations/{generation['id']}/events", timeout=None) as events:
    for line in events.iter_lines():
        if line.startswith("data: "):
            generation = json.loads(line.removeprefix("data: "))
            if generation["status"] not in ("queued", "processing"):
                break"""),
    ("JavaScript", """const response = await fetch(`${api}/generations/${generation.id}/events`, { headers });
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
for (let buffer = ""; ; ) {
  const { value, done } = await reader.read();
  if (done) break;
  buffer += value;
  for (const line of buffer.split("\\n").slice(0, -1)) {
    if (line.startsWith("data: ")) generation = JSON.parse(line.slice(6));
  }
  buffer = buffer.slice(buffer.lastIndexOf("\\n") + 1);
}"""),
]

DOWNLOAD = [
    ("curl", f"""URL=$(curl -s {BASE}/api/v1/generations/$GEN -H "x-api-key: $DREAMPIXEL_API_KEY" \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"][0]["url"])')
curl -s -o image.png "{BASE}$URL\""""),
    ("Python", f"""for output in generation["outputs"]:
    image = httpx.get(httpx.URL("{BASE}").join(output["url"]))
    open(f"{{output['image_id']}}.png", "wb").write(image.content)"""),
    ("JavaScript", f"""import {{ writeFile }} from "node:fs/promises";

for (const output of generation.outputs) {{
  const image = await fetch(new URL(output.url, "{BASE}"));
  await writeFile(`${{output.image_id}}.png`, Buffer.from(await image.arrayBuffer()));
}}"""),
]

VERIFY = [
    ("Python", """# pip install standardwebhooks
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["DREAMPIXEL_WEBHOOK_SECRET"])  # whsec_...

def receive(body: bytes, headers: dict[str, str]) -> dict:
    # Checks webhook-id, webhook-timestamp (5 minutes' tolerance) and webhook-signature.
    try:
        return webhook.verify(body, headers)  # {"type", "timestamp", "data"}
    except WebhookVerificationError:
        raise PermissionError("not from Dream Pixel")"""),
    ("JavaScript", """// npm install standardwebhooks
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.DREAMPIXEL_WEBHOOK_SECRET); // whsec_...

export function receive(rawBody, headers) {
  // Pass the raw body as received: re-serialized JSON would not match the signature.
  return webhook.verify(rawBody, {
    "webhook-id": headers["webhook-id"],
    "webhook-timestamp": headers["webhook-timestamp"],
    "webhook-signature": headers["webhook-signature"],
  }); // throws when the signature or timestamp is wrong
}"""),
]

ERRORS = [
    ("unauthorized", "401", "No API key, or one that is unknown, revoked or expired."),
    ("insufficient_scope", "403", "The key lacks the scope this route needs."),
    ("email_not_verified", "403", "Confirm the account's email before generating."),
    ("not_found", "404", "No such resource, or it belongs to someone else."),
    ("not_cancelable", "409", "The generation already ended."),
    ("validation_failed", "422", "A field is wrong: errors names each one."),
    ("prompt_blocked", "422", "The prompt was refused by moderation."),
    ("invalid_image", "422", "The reference image could not be read."),
    ("unsafe_url", "422", "The URL points at a private or local address."),
    ("insufficient_credits", "402", "Not enough credits for this request."),
    ("daily_limit_reached", "429", "The plan's generations per day are used up; see Retry-After."),
    ("rate_limited", "429", "Too many requests in the window; see Retry-After."),
    ("provider_unavailable", "—", "On a failed generation: every provider failed; retryable."),
]


def _quick_start() -> rx.Component:
    state = DevelopersState
    return rx.fragment(
        key_quick_start(
            signed_in=state.signed_in, key_prefix=state.key_prefix, email_verified=state.email_verified,
            form_open=state.key_form_open, new_key=state.new_key, scopes=state.scopes,
            default_scopes=state.default_scopes, default_name=DEFAULT_KEY_NAME, name_error=state.key_name_error,
            error=state.key_error, creating=state.creating, resend_notice=state.resend_notice,
            on_toggle=state.toggle_key_form, on_create=state.create_key, on_resend=state.resend_verification,
            on_dismiss=state.dismiss_key,
        ),
        reauth_dialog(open_=state.reauth_open, on_close=state.close_reauth, on_submit=state.confirm_identity,
                      has_password=state.has_password, error=state.reauth_error, loading=state.confirming,
                      providers=state.reauth_providers, next_path="/developers"),
    )


@page(route="/developers", title="Developers · Dream Pixel", on_load=DevelopersState.load, nav="Developers",
      nav_order=5)
def developers() -> rx.Component:
    limits = [(p.tier, p.api_requests, p.generations) for p in plans.all_limits()]
    return content(
        rx.vstack(
            page_heading("Developers", "Generate images from your own code: submit, wait or stream, download. "
                         "The interactive reference lists every endpoint."),
            rx.link("Open the interactive API docs (/api/docs)", href="/api/docs", is_external=True, size="3"),
            developer_section(
                "Quick start", "Every request carries your key in x-api-key (or Authorization: Bearer).",
                _quick_start(),
                key_export(DevelopersState.key_prefix),
                section_id="quick-start",
            ),
            developer_section("Submit", "Credits are held now, charged per delivered image, released on failure. "
                              "Idempotency-Key makes a retried POST safe.", sample_tabs(SUBMIT, topic="submit"),
                              section_id="submit"),
            developer_section("Wait", "Ask the server to wait, or poll until the status is final.",
                              sample_tabs(WAIT, topic="wait"), section_id="wait"),
            developer_section("Stream", "Server-Sent Events until the generation ends; reconnect with "
                              "Last-Event-ID to skip what you saw.", sample_tabs(STREAM, topic="stream"),
                              section_id="stream"),
            developer_section("Download", "Output URLs are signed and short-lived: download them soon.",
                              sample_tabs(DOWNLOAD, topic="download"), section_id="download"),
            developer_section("Verify webhooks", "Deliveries are signed the Standard Webhooks way (webhook-id, "
                              "webhook-timestamp, webhook-signature) with your endpoint's whsec_ secret.",
                              sample_tabs(VERIFY, topic="webhook verification"), section_id="webhooks"),
            developer_section("Errors", "Errors are application/problem+json with a stable code and the request id.",
                              reference_table(("code", "status", "meaning"), ERRORS, label="Error codes"),
                              section_id="errors"),
            developer_section("Rate limits", "Per key owner, in a sliding window; RateLimit-Limit, "
                              "-Remaining and -Reset on every answer.",
                              reference_table(("plan", "API requests", "generations"), limits, label="Rate limits"),
                              section_id="rate-limits"),
            spacing="5",
            width="100%",
        ),
        padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
    )
