"""CPU-bound work off the event loop, in a pool of processes (one per core).

Pillow releases the GIL in its codecs, so threads scale too; processes keep a slow decode
from starving the worker's event loop of the GIL, and cost little at two cores.

Two kinds of work share the pool: new work (`run`, e.g. the local provider painting) and the
pipeline that finishes a generation (`derive_async`). The pool serves its queue in order, so
new work is admitted only while a process is free for it: a derive then waits behind at most
one task per process, never behind every generation the worker has started.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

from dreampixel.core.settings import settings
from services.images.pipeline import Derived, OutputFormat, PipelineSettings, derive

T = TypeVar("T")

_executor: Executor | None = None
_admitted: asyncio.Semaphore | None = None  # slots for new work, one per process


def pipeline_settings() -> PipelineSettings:
    return PipelineSettings(
        max_bytes=settings.max_image_size,
        max_dimension=settings.max_image_dimension,
        image_quality=settings.image_quality,
        thumbnail_quality=settings.thumbnail_quality,
        hash_size=settings.perceptual_hash_size,
    )


def start(*, processes: int | None = None, use_threads: bool = False) -> Executor:
    """Create the shared executor (the worker does this at start-up)."""
    global _executor, _admitted
    if _executor is None:
        workers = processes or os.cpu_count() or 2
        _executor = ThreadPoolExecutor(workers) if use_threads else ProcessPoolExecutor(workers)
        _admitted = asyncio.Semaphore(workers)
    return _executor


def shutdown() -> None:
    global _executor, _admitted
    if _executor is not None:
        _executor.shutdown(wait=True, cancel_futures=True)
        _executor = _admitted = None


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound `fn(*args)` in the pool, or a thread when no pool was started.

    `fn` and its arguments cross a process boundary, so they must pickle: a module-level
    function or a method of a small stateless object.
    """
    if _executor is None or _admitted is None:
        return await asyncio.to_thread(fn, *args)
    async with _admitted:
        return await asyncio.get_running_loop().run_in_executor(_executor, fn, *args)


async def derive_async(
    data: bytes,
    *,
    output_format: OutputFormat = "png",
    params: dict[str, Any] | None = None,
    extra_formats: tuple[OutputFormat, ...] = (),
) -> Derived:
    """`pipeline.derive` in the pool; a thread when no pool was started (tests, the CLI)."""
    loop = asyncio.get_running_loop()
    call_settings = pipeline_settings()
    if _executor is None:
        return await asyncio.to_thread(
            derive, data, call_settings, output_format=output_format, params=params, extra_formats=extra_formats
        )
    return await loop.run_in_executor(
        _executor, _derive_positional, data, call_settings, output_format, params, extra_formats
    )


def _derive_positional(
    data: bytes,
    call_settings: PipelineSettings,
    output_format: OutputFormat,
    params: dict[str, Any] | None,
    extra_formats: tuple[OutputFormat, ...],
) -> Derived:
    return derive(data, call_settings, output_format=output_format, params=params, extra_formats=extra_formats)
