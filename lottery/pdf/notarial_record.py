"""The notarial record (公证记录) of a lottery session, as an A4 PDF for the notary's file.

Everything the notary witnessed, from the session's stored fields alone: the session and its
timestamps, the commitment, the confirmed participant and inventory snapshots' SHA-256
hashes, the witness entropy, the seed, the server secret (only once it is revealed: after
sign-off or voiding), every step with its participants in canonical order and its drawn
order, each participating household with its demand, draw number and apartments (proxy
draws marked 代摇), the check-ins, the session's log (confirmation, entropy, pauses, sign-off
or voiding, by whom and when), the void reason, the sign-off with the witnesses and the
bundle's SHA-256.

This is an official record for the notary, not a public page: heads of household appear by
full name, but no ID number is printed. A rehearsal is marked "演练 — 非正式结果" on every
page. Always rendered in the system's language, like the rosters: it is a record, whoever
prints it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.models import Community, Member, Relation, VillagerGroup
from lottery.models import Allocation, CheckIn, LotterySession, Reveal, SessionEvent
from lottery.selectors.sessions import public_source_description, public_source_lookup
from resettlement.audit import audit_head
from resettlement.pdf import document_language, render_pdf

TEMPLATE = "lottery/pdf/record.html"


def _when(value: dt.datetime | None) -> str:
    """A timestamp in the site's time zone with its UTC offset, e.g. 2026-05-18 09:30:05
    (UTC+08:00); empty when the step has not happened."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


def _who(user) -> str:
    if user is None:
        return ""
    name = user.get_full_name()
    return f"{name}({user.username})" if name else user.username


def _demand_text(demand: dict[str, int]) -> str:
    return "、".join(f"{code}×{count}" for code, count in sorted(demand.items()))


def _step_kind(label: str) -> str:
    name = label.rsplit("/", 2)
    if label.endswith("village"):
        return _("房到村(村/社区顺序)")
    if "group/" in label:
        return _("包到组(%(c)s 的村民小组顺序)") % {"c": name[-1]}
    return _("摇号到户(%(g)s 的户顺序)") % {"g": name[-1]}


def _steps(session: LotterySession, proxies: set[str]) -> list[dict[str, Any]]:
    steps = []
    for number, step in enumerate(session.steps or [], start=1):
        # One paragraph per step (no box per entry): WeasyPrint lays a page of short boxes
        # out several times slower, and a session has as many entries as households.
        order = "\u2003".join(
            f"{rank}.\u00a0{code}" + (_("(代摇)") if code in proxies else "")
            for rank, code in enumerate(step["order"], start=1)
        )
        steps.append(
            {
                "number": number,
                "label": step["label"],
                "kind": _step_kind(step["label"]),
                "fixed": bool(step.get("fixed")),
                "participants": "、".join(step["participants"]),
                "order": order,
            }
        )
    return steps


def _draw_numbers(session: LotterySession) -> dict[str, int]:
    """Each household's place in its group's drawn order (its draw number)."""
    numbers = {}
    for step in session.steps or []:
        if "household/" in step["label"]:
            for rank, code in enumerate(step["order"], start=1):
                numbers[code] = rank
    return numbers


def _call_order(session: LotterySession) -> list[str]:
    """Participants' codes in call order (by household step), or code order before the draw."""
    ordered = [
        code
        for step in session.steps or []
        if "household/" in step["label"]
        for code in step["order"]
    ]
    listed = set(ordered)
    rest = sorted(p["code"] for p in session.participants or [] if p["code"] not in listed)
    return ordered + rest


def _households(session: LotterySession, proxies: set[str], checked_in: set[str]) -> list[dict]:
    """One row per participating household: who, what it asked for, what it drew and got."""
    participants = {p["code"]: p for p in session.participants or []}
    communities = dict(
        Community.objects.filter(project=session.project_id).values_list("code", "name")
    )
    groups = dict(
        VillagerGroup.objects.filter(project=session.project_id).values_list("code", "name")
    )
    heads = dict(
        Member.objects.filter(
            household__project=session.project_id,
            household__code__in=list(participants),
            relation=Relation.HEAD,
        ).values_list("household__code", "name")
    )
    apartments: dict[str, list[str]] = {}
    allocation_proxy: set[str] = set()
    for allocation in (
        Allocation.objects.filter(session=session)
        .select_related("household", "apartment__apartment_type")
        .order_by("sequence", "apartment__code")
    ):
        apartment = allocation.apartment
        apartments.setdefault(allocation.household.code, []).append(
            f"{apartment.code}({apartment.apartment_type.code} {apartment.area:.2f}㎡ "
            f"{apartment.tier})"
        )
        if allocation.proxy:
            allocation_proxy.add(allocation.household.code)
    numbers = _draw_numbers(session)
    rows = []
    for sequence, code in enumerate(_call_order(session), start=1):
        participant = participants.get(code, {"community": "", "group": "", "demand": {}})
        if code in proxies or code in allocation_proxy:
            presence = _("代摇")
        elif code in checked_in:
            presence = _("本人到场")
        else:
            presence = ""
        rows.append(
            {
                "sequence": sequence,
                "code": code,
                "head": heads.get(code, ""),
                "community": communities.get(participant["community"], participant["community"]),
                "group": groups.get(participant["group"], participant["group"]),
                "demand": _demand_text(participant["demand"]),
                "number": numbers.get(code, ""),
                "apartments": apartments.get(code, []),
                "presence": presence,
            }
        )
    return rows


def record_context(session: LotterySession) -> dict[str, Any]:
    session = LotterySession.objects.select_related(
        "project",
        "estate",
        "created_by",
        "confirmed_by",
        "entropy_by",
        "public_value_by",
        "signed_by",
        "voided_by",
    ).get(pk=session.pk)
    proxies = set(
        Reveal.objects.filter(session=session, proxy=True).values_list("participant", flat=True)
    )
    checked_in = set(
        CheckIn.objects.filter(session=session).values_list("household__code", flat=True)
    )
    reveals = Reveal.objects.filter(session=session).count()
    types = Counter(apartment["type"] for apartment in session.inventory or [])
    events = [
        (_when(event.at), event.get_kind_display(), _who(event.actor), event.note)
        for event in SessionEvent.objects.filter(session=session).select_related("actor")
    ]
    households = _households(session, proxies, checked_in)
    return {
        "session": session,
        "rehearsal": session.rehearsal,
        "mode": session.get_mode_display(),
        "status": session.get_status_display(),
        "communities": "、".join(
            session.communities.order_by("code").values_list("name", flat=True)
        ),
        "fixed_village_order": session.fixed_village_order,
        "times": [
            (_("创建时间"), _when(session.created_at)),
            (_("承诺值公布时间"), _when(session.committed_at)),
            (_("公证员确认时间"), _when(session.confirmed_at)),
            (_("见证随机数录入时间"), _when(session.entropy_at)),
            (_("签署时间"), _when(session.closed_at)),
            (_("作废时间"), _when(session.voided_at)),
        ]
        + ([(_("公开随机数录入时间"), _when(session.public_value_at))] if session.is_v2 else []),
        "people": [
            (_("创建人"), _who(session.created_by)),
            (_("确认名单与房源的公证员"), _who(session.confirmed_by)),
            (_("录入见证随机数的公证员"), _who(session.entropy_by)),
            (_("录入公开随机数的公证员"), _who(session.public_value_by)),
            (_("签署公证员"), _who(session.signed_by)),
            (_("作废人"), _who(session.voided_by)),
        ],
        "participant_count": len(session.participants or []),
        "inventory_count": len(session.inventory or []),
        "inventory_types": "、".join(f"{t}×{n}" for t, n in sorted(types.items())),
        "secret": session.revealed_secret,
        "steps": _steps(session, proxies),
        "households": households,
        "allocated": sum(1 for row in households if row["apartments"]),
        "check_ins": len(checked_in),
        "proxies": sum(1 for row in households if row["presence"] == _("代摇")),
        "reveals": reveals,
        "call_total": sum(len(step.get("order", [])) for step in session.steps or []),
        "events": events,
        "printed_at": _when(timezone.now()),
        "audit_head": audit_head(),  # as of printing, after the sign-off was recorded
        "public_source": public_source_description(session.public_source),
        "public_source_lookup": public_source_lookup(session.public_source),
        "commitment_record_json": json.dumps(
            session.commitment_record, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        if session.commitment_record
        else "",
    }


def notarial_record_pdf(session: LotterySession, *, language: str | None = None) -> bytes:
    """The session's notarial record as PDF bytes (see the module docstring): in Chinese,
    or in `language` when one of the site's languages is asked for (an English copy)."""
    with translation.override(document_language(language)):
        pdf, _pages = render_pdf(TEMPLATE, record_context(session))
    return pdf
