"""The lottery day in the browser: the session list, a leader's "new session" form, the
console the notary and the operators share, and the hall's big screen.

Everything lives on the server. The console polls `state.json` (lottery.selectors) and
re-renders; every button posts to one of the action views below, which call one service
each. An action asked for with `Accept: application/json` (the console's fetch) answers
JSON — `{"ok": true, "message": ...}` or `{"ok": false, "code": ..., "message": ...}` with
the RuleViolation's 4xx status — and a plain form post redirects back to the console with
the same message. No business rule is decided here: the panels a user sees are the ones the
services would accept them in (`services.session_abilities`), and the services have the
last word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from allocation.models import ApartmentType
from households.access import chosen_project, projects_q, visible_projects
from households.models import Community, Household, Member, Project, Relation
from lottery import selectors, services
from lottery.forms import (
    CheckInForm,
    ConfirmForm,
    DrawForm,
    EntropyForm,
    PickForm,
    SessionCreateForm,
    SignOffForm,
    VoidForm,
)
from lottery.models import CheckIn, LotterySession
from resettlement.errors import RuleViolation, apply_errors
from resettlement.reauth import recent_authentication_required

session_view = permission_required("lottery.view_lotterysession", raise_exception=True)


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


def _project(request: HttpRequest) -> Project | None:
    return chosen_project(request.user, request.GET.get("project") or request.POST.get("project"))


# --- The list and the "new session" form -----------------------------------------------------


@require_safe
@login_required
@session_view
def session_list(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    sessions = selectors.session_list(project=project) if project else []
    return render(
        request,
        "lottery/session_list.html",
        {
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "sessions": sessions,
        },
    )


@login_required
@permission_required("lottery.add_lotterysession", raise_exception=True)
def session_create(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    if project is None:
        messages.error(request, _("还没有项目。请先在后台创建项目。"))
        return redirect("lottery:session-list")
    form = SessionCreateForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.lottery_session_create(
                actor=request.user,
                project=project,
                estate=data["estate"],
                communities=data["communities"],
                code=data["code"],
                title=data["title"],
                mode=data["mode"],
                rehearsal=data["rehearsal"],
                fixed_village_order=data["fixed_village_order"],
            )
        except RuleViolation as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(
                request,
                _("已创建场次 %(code)s,承诺值已公布:%(c)s")
                % {"code": session.code, "c": session.commitment},
            )
            return redirect("lottery:console", code=session.code)
    return render(
        request,
        "lottery/session_create.html",
        {
            "form": form,
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
        },
    )


# --- The console -----------------------------------------------------------------------------


def _inventory_summary(session: LotterySession) -> list[dict[str, Any]]:
    """Per apartment type: how many of the snapshot's apartments, by tier, and demanded."""
    names = dict(ApartmentType.objects.filter(project=session.project).values_list("code", "name"))
    stock: dict[str, Counter] = {}
    for apartment in session.inventory or []:
        stock.setdefault(apartment["type"], Counter())[apartment["tier"]] += 1
    demanded: Counter = Counter()
    for participant in session.participants or []:
        for type_code, count in participant["demand"].items():
            demanded[type_code] += int(count)
    return [
        {
            "type": code,
            "name": names.get(code, ""),
            "total": sum(tiers.values()),
            "tiers": " / ".join(f"{t} {tiers[t]}" for t in ("A", "B", "C") if tiers[t]),
            "demanded": demanded.get(code, 0),
        }
        for code, tiers in sorted(stock.items())
    ]


def _participant_rows(session: LotterySession) -> list[dict[str, Any]]:
    """The participant snapshot as the notary reads it: codes with the heads' names."""
    names = dict(
        Member.objects.filter(
            household__project=session.project,
            household__code__in=[p["code"] for p in session.participants or []],
            relation=Relation.HEAD,
        ).values_list("household__code", "name")
    )
    communities = dict(
        Community.objects.filter(project=session.project).values_list("code", "name")
    )
    return [
        {
            "code": p["code"],
            "head": names.get(p["code"], ""),
            "community": communities.get(p["community"], p["community"]),
            "group": p["group"],
            "demand": "、".join(f"{t}×{n}" for t, n in sorted(p["demand"].items())),
        }
        for p in session.participants or []
    ]


def _check_in_rows(session: LotterySession) -> list[dict[str, Any]]:
    return [
        {
            "household": c.household.code,
            "attendee": c.attendee,
            "method": c.get_method_display(),
            "at": c.checked_in_at.isoformat(),
        }
        for c in CheckIn.objects.filter(session=session)
        .select_related("household")
        .order_by("-checked_in_at")
    ]


def _staff_state(session: LotterySession, abilities: services.SessionAbilities) -> dict[str, Any]:
    state = selectors.session_state(session, public=False)
    state["abilities"] = asdict(abilities)
    if abilities.operate:
        state["check_in_list"] = _check_in_rows(session)
    return state


def _complete(state: dict[str, Any]) -> bool:
    """Every draw revealed and, in order-then-choose mode, every pick made."""
    return state["position"] >= state["total"] and not state.get("next_picker")


@require_safe
@never_cache
@login_required
@session_view
def console(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    abilities = services.session_abilities(session, request.user)
    state = _staff_state(session, abilities)
    context = {
        "session": session,
        "state": state,
        "abilities": abilities,
        "complete": _complete(state),
        "reveals_newest_first": list(reversed(state["reveals"])),
        "communities": session.communities.order_by("code"),
        "text": screen_text(),
        "check_in_form": CheckInForm(),
        "entropy_form": EntropyForm(),
        "sign_off_form": SignOffForm(),
        "void_form": VoidForm(),
    }
    if abilities.witness:
        context["participants"] = _participant_rows(session)
        context["inventory_summary"] = _inventory_summary(session)
    return render(request, "lottery/console.html", context)


@require_safe
@never_cache
@login_required
@session_view
def state_json(request: HttpRequest, code: str) -> JsonResponse:
    session = _session(request, code)
    state = _staff_state(session, services.session_abilities(session, request.user))
    return JsonResponse(state, json_dumps_params={"ensure_ascii": False})


@require_safe
@never_cache
@login_required
@session_view
def screen(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    return render(
        request,
        "lottery/screen.html",
        {
            "session": session,
            "state": selectors.session_state(session, public=True),
            "text": screen_text(),
        },
    )


@require_safe
@never_cache
@login_required
@session_view
def screen_state_json(request: HttpRequest, code: str) -> JsonResponse:
    """The big screen's state: what the public sees (names masked), rehearsals included."""
    session = _session(request, code)
    return JsonResponse(
        selectors.session_state(session, public=True), json_dumps_params={"ensure_ascii": False}
    )


# --- Actions ---------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _form_problem(form) -> str:
    """The first problem of an invalid form, naming its field."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else ""
        return f"{label}:{errors[0]}" if label else str(errors[0])
    return _("提交的内容不完整。")


def _action(
    request: HttpRequest,
    code: str,
    form_class: type,
    run: Callable[[LotterySession, dict[str, Any]], str],
    anchor: str = "",
) -> HttpResponse:
    """Parse the form, call the service through `run` (which returns the success message),
    and answer in JSON or with a redirect and a message. A refusal is never a 500."""
    session = _session(request, code)
    form = form_class(request.POST)
    if not form.is_valid():
        ok, status, message, rule = False, 400, _form_problem(form), "invalid_form"
    else:
        try:
            message = run(session, form.cleaned_data)
        except RuleViolation as exc:
            ok, status, message, rule = False, exc.status_code, exc.message, exc.code
        else:
            ok, status, rule = True, 200, ""
    if _wants_json(request):
        body = {"ok": ok, "message": message}
        if not ok:
            body["code"] = rule
            if isinstance(form.errors, dict) and form.errors:
                body["errors"] = {k: [str(e) for e in v] for k, v in form.errors.items()}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    (messages.success if ok else messages.error)(request, message)
    return redirect(reverse("lottery:console", kwargs={"code": session.code}) + anchor)


def _require(request: HttpRequest, *perms: str) -> None:
    if not any(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


@require_POST
@login_required
def confirm(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.witness_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        services.lottery_session_confirm(
            actor=request.user,
            session=session,
            participants_sha256=data["participants_sha256"],
            inventory_sha256=data["inventory_sha256"],
        )
        return _("已确认参加户名单与房源快照。")

    return _action(request, code, ConfirmForm, run, "#notary")


@require_POST
@login_required
def enter_entropy(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.witness_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        services.lottery_session_enter_entropy(
            actor=request.user, session=session, witness_entropy=data["witness_entropy"]
        )
        return _("见证随机数已录入,摇号顺序已确定,可以开始摇号。")

    return _action(request, code, EntropyForm, run, "#notary")


@require_POST
@login_required
def check_in(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.operate_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        record = services.lottery_check_in(
            actor=request.user,
            session=session,
            credential=data["credential"],
            attendee=data["attendee"],
            identity_confirmed=data["identity_confirmed"],
        )
        return _("安置户 %(h)s 已签到(到场人:%(a)s)。") % {
            "h": record.household.code,
            "a": record.attendee,
        }

    return _action(request, code, CheckInForm, run, "#operator")


@require_POST
@login_required
def draw_next(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.operate_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        reveal = services.lottery_draw_next(
            actor=request.user, session=session, expected_position=data["expected_position"]
        )
        return _("第 %(p)d 号摇出:%(who)s") % {"p": reveal.position, "who": reveal.participant}

    return _action(request, code, DrawForm, run, "#operator")


@require_POST
@login_required
def pick(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.operate_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        household = Household.objects.filter(
            project_id=session.project_id, code=data["household"]
        ).first()
        if household is None:
            raise RuleViolation(
                "unknown_household", _("没有安置户 %(h)s。") % {"h": data["household"]}
            )
        services.lottery_pick(
            actor=request.user,
            session=session,
            household=household,
            apartment_codes=data["apartments"],
            expected_sequence=data["expected_sequence"],
        )
        return _("安置户 %(h)s 已选房:%(a)s") % {
            "h": household.code,
            "a": "、".join(sorted(data["apartments"])),
        }

    return _action(request, code, PickForm, run, "#operator")


def _pause_or_resume(request: HttpRequest, code: str, *, pause: bool) -> HttpResponse:
    _require(request, "lottery.operate_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        if pause:
            services.lottery_pause(actor=request.user, session=session)
            return _("已暂停摇号。")
        services.lottery_resume(actor=request.user, session=session)
        return _("已继续摇号。")

    return _action(request, code, _EmptyForm, run, "#operator")


class _EmptyForm:
    """Pause and resume carry nothing but the CSRF token."""

    errors: dict = {}

    def __init__(self, data: Any) -> None:
        self.cleaned_data: dict[str, Any] = {}

    def is_valid(self) -> bool:
        return True


@require_POST
@login_required
def pause(request: HttpRequest, code: str) -> HttpResponse:
    return _pause_or_resume(request, code, pause=True)


@require_POST
@login_required
def resume(request: HttpRequest, code: str) -> HttpResponse:
    return _pause_or_resume(request, code, pause=False)


@require_POST
@login_required
@permission_required("lottery.witness_session", raise_exception=True)
@recent_authentication_required("lottery:console", anchor="#notary")
def sign_off(request: HttpRequest, code: str) -> HttpResponse:
    def run(session: LotterySession, data: dict[str, Any]) -> str:
        services.lottery_session_sign_off(
            actor=request.user, session=session, witnesses=data["witnesses"]
        )
        return _("本场次已签署,服务器密钥与验证数据包已公开。")

    return _action(request, code, SignOffForm, run, "#notary")


@require_POST
@login_required
def void(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, "lottery.void_session")

    def run(session: LotterySession, data: dict[str, Any]) -> str:
        services.lottery_session_void(actor=request.user, session=session, reason=data["reason"])
        return _("本场次已作废,作废原因已公开。如需重新摇号,请新建场次。")

    return _action(request, code, VoidForm, run, "#void")
