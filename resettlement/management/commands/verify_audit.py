"""Recompute the audit chain:
`python manage.py verify_audit [--printed SEQ:HASH ...] [--heads FILE ...]`.

Prints OK with the head and the number of entries, or the first broken entry and what is
wrong with it, exiting with status 1. The chain is always checked against every head
published on the site (the PublishedHead table); `--printed` adds heads printed on paper (a
publicity PDF, a notarial record) and `--heads` a copy of the published heads saved outside
the database (the JSON of /public/audit-heads.json), which must also still be published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from resettlement.audit import KnownHead, audit_verify, heads_from_document, published_heads

PRINTED = re.compile(r"^(\d+):([0-9a-f]{64})$")


def printed_head(value: str) -> tuple[int, str]:
    match = PRINTED.match(value.strip().lower())
    if not match:
        raise CommandError(f"--printed expects SEQUENCE:HASH (64 hex digits), not {value!r}")
    return int(match.group(1)), match.group(2)


def copied_heads(path: str) -> list[KnownHead]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"--heads {path}: cannot read it as JSON ({exc})") from None
    try:
        return heads_from_document(document, name=Path(path).name)
    except ValueError as exc:
        raise CommandError(f"--heads {path}: {exc}") from None


class Command(BaseCommand):
    help = (
        "Recompute the hash-chained audit trail, check it against every published head, and "
        "report the first broken entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--printed",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a chain head printed on a PDF; must still be in the chain (repeatable)",
        )
        parser.add_argument(
            "--heads",
            action="append",
            default=[],
            metavar="FILE",
            help=(
                "a saved copy of /public/audit-heads.json; each head must still be in the chain "
                "and among the published heads (repeatable)"
            ),
        )

    def handle(self, *args, **options) -> None:
        printed = dict(printed_head(value) for value in options["printed"])
        copied = [head for path in options["heads"] for head in copied_heads(path)]
        report = audit_verify(printed=printed, copied=copied)
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {report.count} entries; head #{report.head.sequence} {report.head.hash}"
                )
            )
            published = published_heads()
            if published or printed or copied:
                self.stdout.write(
                    f"Checked against {len(published)} published, {len(printed)} printed and "
                    f"{len(copied)} copied heads"
                    + (f"; newest published #{published[-1].sequence}" if published else "")
                )
            return
        problem = report.problem
        self.stderr.write(
            f"BROKEN at entry #{problem.sequence} ({problem.code}): {problem.message}\n"
            f"{report.count} entries before it verify; last good #{report.head.sequence} "
            f"{report.head.hash}"
        )
        raise SystemExit(1)
