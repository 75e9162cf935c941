"""Celery tasks of the publicity app (found by the worker through autodiscovery, and imported
by PublicityConfig.ready in every process: the services queue the render tasks by name).

Tasks take ids, never objects, and call a service. Rendering tasks are acknowledged only
when done (acks_late), and rejected back to the queue if their worker dies, so another
worker picks them up; the part they render is claimed with a conditional UPDATE, so a
task delivered twice renders once. A part busy on another worker is looked at again, as a
new message, when that worker's claim would turn stale (publicity.services.rendering):
waiting for a live worker never uses up the retries kept for failures, and a lost one is
taken over.

Every render task (a roster's community, a villager group's notices) has the one policy
RENDER_TASK: on any error the part is marked failed (claimable again) and the task is
retried up to 5 times, after 10, 20, 40, 60, 60 seconds (jittered). The backoff stays below
the broker's visibility timeout (settings): a message held back longer would be delivered
twice.
"""

from __future__ import annotations

import logging

from celery import shared_task

from publicity.services import notices, rendering
from publicity.services.publications import publications_close_expired

logger = logging.getLogger(__name__)

# The one retry policy of the render tasks (module docstring).
RENDER_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 10,
    # Below the broker's visibility timeout (settings): a longer wait is delivered twice.
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RENDER_TASK)
def render_roster_part(self, part_id: int) -> str:
    """Render one community's roster PDF (a RenderPart of a roster job)."""
    outcome = rendering.roster_part_render(part_id=part_id)
    if outcome is rendering.Outcome.BUSY:
        rendering.look_again_later(self, part_id)
    return outcome.value


@shared_task(**RENDER_TASK)
def render_notices_part(self, part_id: int) -> str:
    """Render one villager group's notices (a RenderPart of a notices job), queued after
    commit by `publicity.services.notices.notices_render_start`."""
    outcome = notices.notices_part_render(part_id=part_id)
    if outcome is rendering.Outcome.BUSY:
        rendering.look_again_later(self, part_id)
    return outcome.value


@shared_task
def close_expired_publications() -> int:
    """Close publications whose period has ended (daily, by Celery beat)."""
    closed = publications_close_expired()
    logger.info("closed %d publications whose period has ended", closed)
    return closed
