"""Check a household's lottery receipt (docs/lottery.md §17) against a session's Merkle root.

    python manage.py verify_receipt 'https://…/public/lottery/S1/receipt/#h=H01&r=1.0.12.…'
    python manage.py verify_receipt 1.0.12.… --session S1 --household H01
    python manage.py verify_receipt 1.0.12.… --root <hex> --rows 12

The root and the number of rows come from the signed session in this database (named by
`--session` or by the receipt's URL), or are given. The household to expect comes from
`--household` or the URL's `h=`. Prints "OK" and the row, or the problem and exits with 1.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lottery import merkle
from lottery.models import LotterySession
from lottery.selectors.receipts import session_merkle_root, session_tree


class Command(BaseCommand):
    help = "Verify a household's lottery receipt against its session's published Merkle root."

    def add_arguments(self, parser):
        parser.add_argument("receipt", help="The receipt, or the URL of its check page.")
        parser.add_argument("--session", help="The session's code (else from the URL).")
        parser.add_argument("--root", help="The published Merkle root (hex), instead.")
        parser.add_argument("--rows", type=int, help="The number of rows published, with --root.")
        parser.add_argument("--household", help="The household the receipt should be for.")

    def handle(self, *args, receipt: str, **options):
        url = urlsplit(receipt) if "#" in receipt else None
        fragment = parse_qs(url.fragment) if url else {}
        household = options["household"] or (fragment.get("h") or [None])[0]
        root, rows = options["root"], options["rows"]
        if root is None:
            code = options["session"]
            found = re.search(r"/public/lottery/([^/]+)/receipt/", url.path) if url else None
            code = code or (found.group(1) if found else None)
            if not code:
                raise CommandError(_("请用 --session 指明场次,或用 --root 给出默克尔根。"))
            session = LotterySession.objects.filter(code=code, rehearsal=False).first()
            root = session_merkle_root(session) if session else None
            if root is None:
                raise CommandError(_("场次 %(code)s 不存在或尚未签署。") % {"code": code})
            rows = len(session_tree(session).rows)
        try:
            parsed = merkle.receipt_parse(receipt)
            merkle.receipt_verify(parsed, root=root, rows=rows, household=household)
        except merkle.ReceiptError as error:
            raise CommandError(str(error), returncode=1) from error
        self.stdout.write(
            _(
                "OK:回执有效:安置户 %(household)s 分得 %(apartments)s,"
                "第 %(number)d 行(共 %(count)d 行)。"
            )
            % {
                "household": parsed.household,
                "apartments": "、".join(parsed.apartments) or "—",
                "number": parsed.index + 1,
                "count": parsed.count,
            }
        )
