"""Sending `generation.run` jobs: one job id per (generation, try), so duplicates are refused."""

from __future__ import annotations

from sqlmodel import Session

from services.jobs.service import enqueue_after_commit


def run_job_id(generation_id: str, retry_count: int) -> str:
    return f"generation.run:{generation_id}:{retry_count}"


def enqueue_run(session: Session, generation_id: str, retry_count: int, *, defer_by: float | None = None) -> None:
    """Queue the job once `session` commits."""
    enqueue_after_commit(session, "generation.run", generation_id, job_id=run_job_id(generation_id, retry_count),
                         defer_by=defer_by)
