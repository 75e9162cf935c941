"""Print a signed session's bundle (DESIGN §5 item 9) as JSON: UTF-8, keys sorted, indented.

python manage.py export_lottery_bundle S2025-01 > S2025-01.json
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lottery.models import LotterySession, SessionStatus
from lottery.verification import bundle_json


class Command(BaseCommand):
    help = "Print the verification bundle of a signed-off lottery session (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="The session's code.")

    def handle(self, *args, code: str, **options):
        session = LotterySession.objects.filter(code=code).first()
        if session is None:
            raise CommandError(_("没有编号为 %(code)s 的摇号场次。") % {"code": code})
        if session.status != SessionStatus.SIGNED or session.bundle is None:
            raise CommandError(
                _("场次 %(code)s 尚未由公证员签署(当前状态:%(status)s),还没有数据包。")
                % {"code": code, "status": SessionStatus(session.status).label}
            )
        self.stdout.write(bundle_json(session.bundle))
