"""How fast the offline `local` provider paints: median milliseconds per image, per size.

Run: .venv/bin/python -m bench.bench_local_provider
"""

from __future__ import annotations

import statistics
import time

from services.providers.base import GenerationRequest
from services.providers.local import LocalProvider
from services.providers.procedural.render import encode, paint

PROMPTS = (
    "sunset over the ocean",
    "starry night over the mountains",
    "a pine forest at dawn",
    "city skyline at night",
    "desert dunes",
    "portrait of a woman",
    "abstract fluid swirl",
    "synthwave neon sunset",
)
SIZES = ((512, 512), (1024, 1024))
ROUNDS = 3


def main() -> None:
    provider = LocalProvider()
    provider.render(GenerationRequest("warm-up", seed=0, width=256, height=256))
    print(f"{'size':>10} {'prompt':<34} {'paint ms':>9} {'png ms':>8} {'total ms':>9}")
    for width, height in SIZES:
        totals: list[float] = []
        for prompt in PROMPTS:
            paint_ms, encode_ms = [], []
            for seed in range(ROUNDS):
                started = time.perf_counter()
                pixels = paint(prompt, seed=seed, width=width, height=height)
                painted = time.perf_counter()
                encode(pixels, "png")
                paint_ms.append((painted - started) * 1000)
                encode_ms.append((time.perf_counter() - painted) * 1000)
            p, e = statistics.median(paint_ms), statistics.median(encode_ms)
            totals.append(p + e)
            print(f"{width}x{height:<5} {prompt:<34} {p:9.1f} {e:8.1f} {p + e:9.1f}")
        print(f"{width}x{height:<5} {'median over prompts':<34} {'':>9} {'':>8} {statistics.median(totals):9.1f}\n")


if __name__ == "__main__":
    main()
