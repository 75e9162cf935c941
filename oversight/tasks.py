"""Celery tasks of the oversight app (found by the worker through autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from oversight.services import ledger


# The backoff stays below the broker's visibility timeout (settings), or Redis would deliver
# the waiting retry a second time.
@shared_task(autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=60, max_retries=3)
def refresh_overdue_ledger() -> dict[str, int]:
    """Recompute the overdue-return ledger (daily, by Celery beat; see settings)."""
    run = ledger.ledger_refresh()
    return {"households": run.households, "overdue": run.overdue, "late": run.late}
