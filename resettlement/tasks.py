"""Celery tasks of what every app shares (found by the worker through autodiscovery)."""

from __future__ import annotations

import logging

from celery import shared_task

from resettlement.audit import audit_head_publish

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=60, max_retries=5)
def publish_audit_head() -> int | None:
    """Publish the audit chain's head on the public site (daily, by Celery beat). Returns the
    sequence published, or None when nothing was appended since the last published head."""
    head = audit_head_publish()
    if head is None:
        logger.info("audit head unchanged since it was last published; nothing to publish")
        return None
    logger.info("published audit head #%d %s", head.sequence, head.hash)
    return head.sequence
