"""What the staff pages and the public pages of the lottery share: the session a staff user
may see, and the words the console, big screen and live page scripts use."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from households.access import projects_q
from lottery.models import LotterySession

session_view = permission_required("lottery.view_lotterysession", raise_exception=True)


def session_page(view: Callable) -> Callable:
    """A staff GET of one session's live state (a page or its JSON): never cached, for a
    signed-in user who may view sessions."""
    return require_safe(never_cache(login_required(session_view(view))))


def screen_text() -> dict[str, str]:
    """The words the console, big screen and live page scripts use, translated here (the
    pages carry them as JSON, so the scripts need no catalogue of their own)."""
    return {
        "level_village": _("房到村"),
        "level_group": _("包到组"),
        "level_household": _("摇号到户"),
        "level_village_long": _("房到村:摇村/社区的选房顺序"),
        "level_group_long": _("包到组:摇村民小组的顺序"),
        "level_household_long": _("摇号到户:摇各户的顺序"),
        "rank": _("第 %(rank)s 位"),
        "proxy": _("代摇"),
        "pick_order": _("选房顺序号 %(n)s"),
        "waiting_confirm": _("等待公证员确认参加户名单与房源"),
        "waiting_entropy": _("等待公证员录入见证随机数"),
        "finished": _("摇号结束,公证员已签署"),
        "voided": _("本场次已作废"),
        "all_drawn": _("全部摇号已完成"),
        "picking": _("等待安置户 %(h)s 选房"),
        "no_reveals": _("尚未开始摇号"),
        "connection_lost": _("与服务器的连接中断,正在重试……"),
        "next_is": _("下一个:第 %(n)s 号 · %(step)s"),
        "check_in_count": _("已签到 %(n)s / %(total)s 户"),
        "draw_button": _("摇第 %(n)s 号"),
        "household": _("安置户"),
        "attendee": _("到场人"),
        "method": _("签到方式"),
        "time": _("时间"),
        "pick_wait": _("安置户 %(h)s 的选房顺序号(第 %(n)s 号)摇出后即可选房。"),
        "picker": _("第 %(n)s 号 %(h)s %(name)s 选房,应选:%(demand)s"),
        "refused": _("操作未成功(HTTP %(status)s),请刷新页面后重试。"),
        "position_of": _("第 %(n)s 号 / 共 %(total)s 号"),
        "progress": _("已摇 %(n)s / %(total)s"),
    }


def _session(request: HttpRequest, code: str) -> LotterySession:
    """The session, if the user may see its project (households.access); else 404."""
    if "\x00" in code:  # PostgreSQL refuses it in a query; no code has one
        raise Http404
    return get_object_or_404(
        LotterySession.objects.select_related(
            "project", "estate", "created_by", "confirmed_by", "signed_by", "voided_by"
        ).filter(projects_q(request.user)),
        code=code,
    )
