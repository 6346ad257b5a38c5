"""Image pipeline throughput: services/images/pipeline.py against the same pipeline in Node's sharp.

Workload (PERFORMANCE.md): 20 images (eight 1024 px and eight 2048 px PNGs, four JPEGs), each
validated and decoded, metadata stripped, a 256 px WebP thumbnail, a 1024 px WebP medium, the
full size as PNG, JPEG q90 and WebP q90, and a 256-bit perceptual hash. Both run two images
at a time (two processes for Pillow, two in flight for sharp) in alternating rounds of the
same invocation; the table shows medians and the median of the per-round ratios.

    .venv/bin/python bench/bench_pipeline.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.images.pipeline import PipelineSettings, derive  # noqa: E402

SHARP_DIR = ROOT / "bench" / "sharp"
SETTINGS = PipelineSettings(max_bytes=64 * 1024 * 1024, max_dimension=4096)


def photo_like(size: int, seed: int) -> Image.Image:
    """Smooth structure plus fine grain: compresses like a photograph, not like flat art."""
    rng = np.random.default_rng(seed)
    field = np.zeros((size, size, 3), np.float32)
    for octave in range(1, 7):
        cells = 2**octave
        coarse = rng.random((cells + 1, cells + 1, 3)).astype(np.float32)
        up = np.array(Image.fromarray((coarse * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC))
        field += up.astype(np.float32) / (1.6**octave)
    field = field / field.max() * 235
    field += rng.normal(0, 6, field.shape).astype(np.float32)
    return Image.fromarray(np.clip(field, 0, 255).astype(np.uint8))


def make_workload(directory: Path) -> list[Path]:
    files = []
    for i in range(8):
        for size in (1024, 2048):
            path = directory / f"img-{size}-{i}.png"
            photo_like(size, seed=size + i).save(path, "PNG")
            files.append(path)
    for i in range(4):
        path = directory / f"photo-{i}.jpg"
        photo_like(2048 if i % 2 else 1536, seed=900 + i).save(path, "JPEG", quality=92)
        files.append(path)
    return files


def process_file(path: str) -> int:
    derived = derive(Path(path).read_bytes(), SETTINGS, output_format="png", extra_formats=("jpeg", "webp"))
    return sum(len(e.data) for e in (derived.full, derived.medium, derived.thumbnail,
                                     *derived.extra_formats.values()))


def _pool_cpu(pool: ProcessPoolExecutor) -> float:
    times = [psutil.Process(pid).cpu_times() for pid in pool._processes]
    return sum(t.user + t.system for t in times)


def pillow_round(pool: ProcessPoolExecutor, files: list[Path]) -> dict[str, float]:
    cpu_before = _pool_cpu(pool)
    started = time.perf_counter()
    total = sum(pool.map(process_file, [str(f) for f in files]))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "images": len(files), "bytes": total, "cpu_seconds": _pool_cpu(pool) - cpu_before}


def sharp_round(files: list[Path], png_filtering: str = "default") -> dict[str, float] | None:
    node = shutil.which("node")
    if node is None or not (SHARP_DIR / "node_modules" / "sharp").exists():
        return None
    out = subprocess.run([node, str(SHARP_DIR / "pipeline.mjs"), "1", "2", png_filtering, *map(str, files)],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_sharp() -> bool:
    if (SHARP_DIR / "node_modules" / "sharp").exists():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    result = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund"], cwd=SHARP_DIR,
                            capture_output=True, text=True, timeout=600)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    have_sharp = ensure_sharp()
    with tempfile.TemporaryDirectory() as tmp:
        files = make_workload(Path(tmp))
        megapixels = sum(Image.open(f).width * Image.open(f).height for f in files) / 1e6
        rows: list[tuple[dict[str, float], dict[str, float] | None]] = []
        filtered: list[tuple[dict[str, float], dict[str, float] | None]] = []
        with ProcessPoolExecutor(2) as pool:
            pool.map(process_file, [str(files[0])] * 2)  # import and warm both workers
            for _ in range(args.rounds):
                ours = pillow_round(pool, files)
                rows.append((ours, sharp_round(files) if have_sharp else None))
                filtered.append((ours, sharp_round(files, "adaptive") if have_sharp else None))
    pillow_rate = statistics.median(r["images"] / r["seconds"] for r, _ in rows)
    pillow_cpu = statistics.median(r["cpu_seconds"] / r["images"] for r, _ in rows)
    print(f"image pipeline, {len(files)} images ({megapixels:.0f} MP), {args.rounds} rounds, {os.cpu_count()} cores")
    print(f"{'pipeline':<34}{'images/s':>10}{'vs sharp':>10}{'CPU s/img':>11}")
    if have_sharp:
        sharp_rate = statistics.median(s["images"] / s["seconds"] for _, s in rows if s)
        sharp_cpu = statistics.median(s["cpu_seconds"] / s["images"] for _, s in rows if s)
        ratio = statistics.median((r["images"] / r["seconds"]) / (s["images"] / s["seconds"]) for r, s in rows if s)
        filtered_rate = statistics.median(s["images"] / s["seconds"] for _, s in filtered if s)
        filtered_ratio = statistics.median(
            (r["images"] / r["seconds"]) / (s["images"] / s["seconds"]) for r, s in filtered if s)
        print(f"{'Pillow tuned, 2 processes':<34}{pillow_rate:>10.2f}{ratio:>9.2f}x{pillow_cpu:>11.2f}")
        print(f"{'sharp 0.35, 2 in flight (baseline)':<34}{sharp_rate:>10.2f}{1.0:>9.2f}x{sharp_cpu:>11.2f}")
        print(f"{'sharp, PNG with adaptive filtering':<34}{filtered_rate:>10.2f}{filtered_rate / sharp_rate:>9.2f}x")
        print(f"Pillow vs sharp with adaptive PNG filtering (median of per-round ratios): {filtered_ratio:.2f}x")
        print(f"output bytes per round: Pillow {rows[0][0]['bytes'] / 1e6:.0f} MB, sharp default "
              f"{rows[0][1]['bytes'] / 1e6:.0f} MB, sharp filtered {filtered[0][1]['bytes'] / 1e6:.0f} MB")
    else:
        print(f"{'Pillow tuned, 2 processes':<34}{pillow_rate:>10.2f}{'n/a':>10}{pillow_cpu:>11.2f}")
        print("sharp not available (npm install in bench/sharp failed); no ratio")


if __name__ == "__main__":
    main()
