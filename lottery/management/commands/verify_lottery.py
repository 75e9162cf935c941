"""Recompute a lottery bundle from the file alone and report what does not match.

    python manage.py verify_lottery S2025-01.json

Prints "OK" and a summary, or every problem found and exits with status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lottery.verification import verify_bundle


class Command(BaseCommand):
    help = "Verify a lottery bundle (JSON file): commitment, seed, every step, the allocation."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The bundle's JSON file ('-' reads standard input).")

    def handle(self, *args, file: str, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            bundle = json.loads(text)
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(f)s:%(e)s") % {"f": file, "e": exc}) from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise CommandError(
                _("文件 %(f)s 不是有效的 JSON:%(e)s") % {"f": file, "e": exc}
            ) from exc
        problems = verify_bundle(bundle)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                _("验证未通过:发现 %(n)d 处问题。") % {"n": len(problems)}, returncode=1
            )
        session = bundle.get("session") or {}
        self.stdout.write(
            _("OK:场次 %(code)s(%(algorithm)s)验证通过:%(steps)d 个步骤,%(n)d 户分房结果均可复算。")
            % {
                "code": session.get("code", "?"),
                "algorithm": bundle["algorithm"],
                "steps": len(bundle["steps"]),
                "n": len(bundle["allocation"]),
            }
        )
