"""Convert the house tickets whose expiry date has passed (also run daily by Celery beat)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from tickets.services.tickets import tickets_expire


class Command(BaseCommand):
    help = "到期房票按政策回购或作废(每日由 Celery beat 运行)。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, on: dt.date | None = None, **options) -> None:
        numbers = tickets_expire(on)
        self.stdout.write(f"{len(numbers)} " + " ".join(numbers))
