"""Recompute the audit chain: `python manage.py verify_audit [--printed SEQ:HASH ...]`.

Prints OK with the head and the number of entries, or the first broken entry and what is
wrong with it, exiting with status 1. `--printed` checks heads printed on paper (a publicity
PDF, a notarial record) against the chain as well.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError, CommandParser

from resettlement.audit import audit_verify

PRINTED = re.compile(r"^(\d+):([0-9a-f]{64})$")


def printed_head(value: str) -> tuple[int, str]:
    match = PRINTED.match(value.strip().lower())
    if not match:
        raise CommandError(f"--printed expects SEQUENCE:HASH (64 hex digits), not {value!r}")
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = "Recompute the hash-chained audit trail and report the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--printed",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a chain head printed on a PDF; must still be in the chain (repeatable)",
        )

    def handle(self, *args, **options) -> None:
        printed = dict(printed_head(value) for value in options["printed"])
        report = audit_verify(printed=printed)
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {report.count} entries; head #{report.head.sequence} {report.head.hash}"
                )
            )
            return
        problem = report.problem
        self.stderr.write(
            f"BROKEN at entry #{problem.sequence} ({problem.code}): {problem.message}\n"
            f"{report.count} entries before it verify; last good #{report.head.sequence} "
            f"{report.head.hash}"
        )
        raise SystemExit(1)
