"""Celery tasks of house tickets (found by the worker through autodiscovery)."""

from __future__ import annotations

import logging

from celery import shared_task

from tickets.services.tickets import tickets_expire

logger = logging.getLogger(__name__)


# The backoff stays below the broker's visibility timeout (settings), or Redis would deliver
# the waiting retry a second time (tests/publicity/test_render_recovery.py).
@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=60, max_retries=5)
def expire_tickets() -> int:
    """Convert the tickets whose expiry date passed (daily, by Celery beat): their balance
    bought back or forfeited as each project's policy says. A rerun converts only what is
    left, so a retry is safe."""
    numbers = tickets_expire()
    logger.info("house tickets expired: %d %s", len(numbers), " ".join(numbers))
    return len(numbers)
