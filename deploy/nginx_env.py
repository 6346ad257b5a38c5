"""Write the nginx template's values that follow from Dream Pixel's settings, for the frontend image.

    python -m deploy.nginx_env /run/dreampixel/nginx.env     (the container entrypoint's `nginx-env`)

The pages' Content-Security-Policy names the S3 endpoint, the CDN and the app's origins, and
the upload cap follows MAX_IMAGE_SIZE: both are computed here by the app's own functions under
the same settings as the backends, and written as shell `export` lines that the frontend
image's /docker-entrypoint.d/05-dreampixel-settings.envsh reads before nginx renders its template.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from dreampixel.api.limits import body_limit
from dreampixel.api.middleware import page_policy
from dreampixel.core.logging import configure_logging, get_logger

log = get_logger("deploy.nginx_env")


def values() -> dict[str, str]:
    return {
        "DP_PAGE_CSP": page_policy(),
        # nginx refuses only what no route could accept; the app answers the rest with problem+json.
        "DP_MAX_BODY": f"{body_limit('/_upload') // 1024}k",
    }


def main(argv: list[str]) -> int:
    configure_logging()
    if len(argv) != 1:
        log.error("deploy.nginx_env.usage", usage="python -m deploy.nginx_env FILE")
        return 2
    path = Path(argv[0])
    lines = [f"export {name}={shlex.quote(value)}" for name, value in values().items()]
    staging = path.with_name(path.name + ".new")
    staging.write_text("# Written by `docker-entrypoint nginx-env` from Dream Pixel's settings.\n" + "\n".join(lines) + "\n")
    staging.replace(path)
    log.info("deploy.nginx_env.written", path=str(path), names=sorted(values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
