"""The lottery day in the browser: the session list, a leader's "new session" form and the
console the notary and the operators share (the hall's big screen: `lottery.views.screen`).

Everything lives on the server. The console polls `state.json` (lottery.selectors.sessions)
and re-renders; every button posts to one of the action views below, which call one service
each. An action asked for with `Accept: application/json` (the console's fetch) answers
JSON — `{"ok": true, "message": ...}` or `{"ok": false, "code": ..., "message": ...}` with
the RuleViolation's 4xx status — and a plain form post redirects back to the console with
the same message. No business rule is decided here: the panels a user sees are the ones the
services would accept them in (`lottery.services.four_eyes.session_abilities`), and the
services have the last word.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from allocation.models import ApartmentType
from households.access import requested_project, visible_projects
from households.models import Community, Household, Member, Relation
from households.stages import stages_of
from lottery.forms import (
    CheckInForm,
    ConfirmForm,
    DrawForm,
    EntropyForm,
    PickForm,
    PublicValueForm,
    SessionCreateForm,
    SignOffForm,
    VoidForm,
)
from lottery.models import CheckIn, LotterySession
from lottery.selectors import sessions as session_selectors
from lottery.services.check_in import lottery_check_in
from lottery.services.draws import lottery_draw_next, lottery_pause, lottery_pick, lottery_resume
from lottery.services.four_eyes import SessionAbilities, session_abilities
from lottery.services.sessions import (
    lottery_session_confirm,
    lottery_session_create,
    lottery_session_enter_entropy,
    lottery_session_enter_public_value,
    lottery_session_void,
)
from lottery.services.sign_off import lottery_session_sign_off
from lottery.views._common import _session, screen_text, session_page, session_view
from resettlement.errors import RuleViolation, apply_errors
from resettlement.reauth import recent_authentication_required

# --- The list and the "new session" form -----------------------------------------------------


@require_safe
@login_required
@session_view
def session_list(request: HttpRequest) -> HttpResponse:
    project = requested_project(request)
    sessions = session_selectors.session_list(project=project) if project else []
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
    project = requested_project(request)
    if project is None:
        messages.error(request, _("还没有项目。请先在后台创建项目。"))
        return redirect("lottery:session-list")
    form = SessionCreateForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = lottery_session_create(
                actor=request.user,
                project=project,
                estate=data["estate"],
                communities=data["communities"],
                code=data["code"],
                title=data["title"],
                mode=data["mode"],
                rehearsal=data["rehearsal"],
                fixed_village_order=data["fixed_village_order"],
                public_source=form.public_source(),
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
            "held_back": session_selectors.held_back_by_publicity(project),
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
    households = list(
        Household.objects.filter(
            project=session.project, code__in=[p["code"] for p in session.participants or []]
        ).only("pk", "code", "status", "lookup_code")
    )
    by_pk = stages_of(households)
    stages = {h.code: by_pk[h.pk] for h in households}
    return [
        {
            "code": p["code"],
            "stage": stages.get(p["code"]),
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


def _staff_state(session: LotterySession, abilities: SessionAbilities) -> dict[str, Any]:
    state = session_selectors.session_state(session, public=False)
    state["abilities"] = asdict(abilities)
    if abilities.operate:
        state["check_in_list"] = _check_in_rows(session)
    return state


def _complete(state: dict[str, Any]) -> bool:
    """Every draw revealed and, in order-then-choose mode, every pick made."""
    return state["position"] >= state["total"] and not state.get("next_picker")


@session_page
def console(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    abilities = session_abilities(session, request.user)
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
        "public_value_form": PublicValueForm(),
        "sign_off_form": SignOffForm(),
        "void_form": VoidForm(),
        "commitment_record_json": session_selectors.commitment_record_text(session),
    }
    if abilities.witness:
        context["participants"] = _participant_rows(session)
        context["inventory_summary"] = _inventory_summary(session)
    return render(request, "lottery/console.html", context)


@session_page
def state_json(request: HttpRequest, code: str) -> JsonResponse:
    session = _session(request, code)
    state = _staff_state(session, session_abilities(session, request.user))
    return JsonResponse(state, json_dumps_params={"ensure_ascii": False})


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


def console_action(form_class: type, anchor: str, *perms: str) -> Callable:
    """Make `run(request, session, data) -> message` a console action view: a POST by a
    signed-in user holding one of `perms`, answered by `_action`."""

    def decorate(run: Callable[[HttpRequest, LotterySession, dict[str, Any]], str]) -> Callable:
        @require_POST
        @login_required
        @functools.wraps(run)
        def view(request: HttpRequest, code: str) -> HttpResponse:
            _require(request, *perms)
            return _action(
                request, code, form_class, lambda session, data: run(request, session, data), anchor
            )

        return view

    return decorate


@console_action(ConfirmForm, "#notary", "lottery.witness_session")
def confirm(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    lottery_session_confirm(
        actor=request.user,
        session=session,
        participants_sha256=data["participants_sha256"],
        inventory_sha256=data["inventory_sha256"],
    )
    return _("已确认参加户名单与房源快照。")


@console_action(EntropyForm, "#notary", "lottery.witness_session")
def enter_entropy(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    session = lottery_session_enter_entropy(
        actor=request.user, session=session, witness_entropy=data["witness_entropy"]
    )
    if session.waits_for_public_value:
        return _(
            "见证随机数已录入。下一步:待 %(source)s 公布后录入公开随机数,"
            "录入后摇号顺序确定,才能开始摇号。"
        ) % {"source": session_selectors.public_source_description(session.public_source)}
    return _("见证随机数已录入,摇号顺序已确定,可以开始摇号。")


@console_action(PublicValueForm, "#notary", "lottery.witness_session")
def enter_public_value(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    session = lottery_session_enter_public_value(
        actor=request.user, session=session, value=data["value"], signature=data["signature"]
    )
    if not session.witness_entropy:
        return _("公开随机数已录入。下一步:录入现场产生的见证随机数,录入后即可开始摇号。")
    return _("公开随机数已录入,摇号顺序已确定,可以开始摇号。")


@console_action(CheckInForm, "#operator", "lottery.operate_session")
def check_in(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    record = lottery_check_in(
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


@console_action(DrawForm, "#operator", "lottery.operate_session")
def draw_next(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    reveal = lottery_draw_next(
        actor=request.user, session=session, expected_position=data["expected_position"]
    )
    return _("第 %(p)d 号摇出:%(who)s") % {"p": reveal.position, "who": reveal.participant}


@console_action(PickForm, "#operator", "lottery.operate_session")
def pick(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    household = Household.objects.filter(
        project_id=session.project_id, code=data["household"]
    ).first()
    if household is None:
        raise RuleViolation("unknown_household", _("没有安置户 %(h)s。") % {"h": data["household"]})
    lottery_pick(
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


class _EmptyForm:
    """Pause and resume carry nothing but the CSRF token."""

    errors: dict = {}

    def __init__(self, data: Any) -> None:
        self.cleaned_data: dict[str, Any] = {}

    def is_valid(self) -> bool:
        return True


@console_action(_EmptyForm, "#operator", "lottery.operate_session")
def pause(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    lottery_pause(actor=request.user, session=session)
    return _("已暂停摇号。")


@console_action(_EmptyForm, "#operator", "lottery.operate_session")
def resume(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    lottery_resume(actor=request.user, session=session)
    return _("已继续摇号。")


@require_POST
@login_required
@permission_required("lottery.witness_session", raise_exception=True)
@recent_authentication_required("lottery:console", anchor="#notary")
def sign_off(request: HttpRequest, code: str) -> HttpResponse:
    def run(session: LotterySession, data: dict[str, Any]) -> str:
        lottery_session_sign_off(actor=request.user, session=session, witnesses=data["witnesses"])
        return _("本场次已签署,服务器密钥与验证数据包已公开。")

    return _action(request, code, SignOffForm, run, "#notary")


@console_action(VoidForm, "#void", "lottery.void_session")
def void(request: HttpRequest, session: LotterySession, data: dict[str, Any]) -> str:
    lottery_session_void(actor=request.user, session=session, reason=data["reason"])
    return _("本场次已作废,作废原因已公开。如需重新摇号,请新建场次。")
