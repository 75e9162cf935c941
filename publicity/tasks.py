"""Celery tasks of the publicity app (found by the worker through autodiscovery).

Tasks take ids, never objects, and call a service. Rendering tasks are acknowledged only
when done (acks_late), and rejected back to the queue if their worker dies, so another
worker picks them up; the part they render is claimed with a conditional UPDATE, so a
task delivered twice renders once. A part busy on another worker is looked at again, as a
new message, when that worker's claim would turn stale (publicity.rendering): waiting for a
live worker never uses up the retries kept for failures, and a lost one is taken over.
"""

from __future__ import annotations

import logging

from celery import shared_task

from publicity import rendering, services
from publicity import tasks_notices as tasks_notices  # registers the notices task with the worker

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=10,
    # Below the broker's visibility timeout (settings): a longer wait is delivered twice.
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def render_roster_part(self, part_id: int) -> str:
    """Render one community's roster PDF (a RenderPart of a roster job)."""
    outcome = rendering.roster_part_render(part_id=part_id)
    if outcome is rendering.Outcome.BUSY:
        rendering.look_again_later(self, part_id)
    return outcome.value


@shared_task
def close_expired_publications() -> int:
    """Close publications whose period has ended (daily, by Celery beat)."""
    closed = services.publications_close_expired()
    logger.info("closed %d publications whose period has ended", closed)
    return closed
