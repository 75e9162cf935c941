"""Celery task rendering one villager group's notices (a RenderPart of a notices job).

Queued after commit by `publicity.notices.notices_render_start`. Takes the part's id; safe
to deliver twice (the part is claimed with a conditional UPDATE, so a second delivery of a
running or finished part does nothing); acknowledged only when done (acks_late), so a
worker that dies mid-render leaves the message for another; retried on failure.
"""

from __future__ import annotations

from celery import shared_task

from publicity import notices, rendering


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    default_retry_delay=30,
)
def render_notices_part(self, part_id: int) -> str:
    try:
        outcome = notices.notices_part_render(part_id=part_id)
    except Exception as exc:
        # The part is marked failed (claimable again); try again later, up to max_retries.
        raise self.retry(exc=exc) from exc
    if outcome is rendering.Outcome.BUSY:
        rendering.look_again_later(self, part_id)
    return outcome.value
