"""Reads of PDF jobs (rosters and notices): a job's progress, a publication's roster jobs."""

from __future__ import annotations

from dataclasses import dataclass

from publicity.models import Publication, RenderJob, RenderStatus


@dataclass(frozen=True)
class JobProgress:
    total: int
    done: int
    failed: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.done == self.total


def job_progress(job: RenderJob) -> JobProgress:
    statuses = [part.status for part in job.parts.all()]
    return JobProgress(
        total=len(statuses),
        done=statuses.count(RenderStatus.DONE),
        failed=statuses.count(RenderStatus.FAILED),
    )


def roster_jobs(publication: Publication) -> list[RenderJob]:
    """The publication's roster jobs, newest first, with their parts."""
    return list(
        RenderJob.objects.filter(publication=publication, kind=RenderJob.Kind.ROSTER)
        .select_related("created_by")
        .prefetch_related("parts")
        .order_by("-created_at", "-pk")
    )
