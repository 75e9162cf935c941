"""Settings of the Celery workers test_render_worker_killed.py starts and kills: the project's
own, with the recovery thresholds shortened so that a lost part comes back in seconds rather
than the production minute and a half (resettlement/settings.py, docs/operations.md), on the
test's own queue and Redis key prefix (so no other run's messages are restored or taken).

The test process sends with the same values: `recovery_settings()`."""

from __future__ import annotations

import os

from resettlement.settings import *  # noqa: F403

RENDER_HEARTBEAT_SECONDS = 1
RENDER_STALE_SECONDS = 3
VISIBILITY_TIMEOUT = 5


def recovery_settings(*, queue: str, prefix: str) -> dict:
    """The broker and queue settings of a test worker (and of the test sending to it)."""
    return {
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
            "global_keyprefix": prefix,
        },
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # Every task on the test's own queue, the PDF ones too (no shared `pdf` queue).
        "CELERY_TASK_ROUTES": {},
    }


if "RECOVERY_TEST_QUEUE" in os.environ:  # in a worker the test started
    globals().update(
        recovery_settings(
            queue=os.environ["RECOVERY_TEST_QUEUE"], prefix=os.environ["RECOVERY_TEST_PREFIX"]
        )
    )
