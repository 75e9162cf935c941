"""Qualification rules (DESIGN §2.2), computed per member as a verdict with evidence.

`evaluate` is a pure function of the member's facts and the project's policy, so the
registration screen, the import, the review queue and the tests all get the same answer.
The boundary dates are inclusive: arriving *on* the cut-off date (or, for natural growth,
on the growth deadline) qualifies; one day later does not. See docs/qualification.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from households.models import HousingWelfare, HukouNature, Project, SpecialStatus

# Stable reason codes. The review queue filters on them; never rename one.
HUKOU_AFTER_CUTOFF = "HUKOU_AFTER_CUTOFF"
GROWTH_AFTER_DEADLINE = "GROWTH_AFTER_DEADLINE"
HUKOU_MOVED_OUT = "HUKOU_MOVED_OUT"
HUKOU_NATURE_INELIGIBLE = "HUKOU_NATURE_INELIGIBLE"
HOUSING_WELFARE_ENJOYED = "HOUSING_WELFARE_ENJOYED"
RESETTLED_ELSEWHERE = "RESETTLED_ELSEWHERE"

# Marked for extraction only; shown with gettext(label) where displayed (admin filter, review).
REASON_LABELS = {
    HUKOU_AFTER_CUTOFF: gettext_noop("户口截止日后迁入"),
    GROWTH_AFTER_DEADLINE: gettext_noop("自然增长超过截止日"),
    HUKOU_MOVED_OUT: gettext_noop("户口已迁出"),
    HUKOU_NATURE_INELIGIBLE: gettext_noop("户口性质不符"),
    HOUSING_WELFARE_ENJOYED: gettext_noop("已享受住房福利"),
    RESETTLED_ELSEWHERE: gettext_noop("已在其他项目安置"),
}

# The rules themselves, as the review page names each check.
RULE_LABELS = {
    "hukou_arrival": gettext_noop("户口迁入时间"),
    "not_moved_out": gettext_noop("户口未迁出"),
    "hukou_nature": gettext_noop("户口性质"),
    "housing_welfare": gettext_noop("未享受住房福利"),
    "resettled_elsewhere": gettext_noop("未在其他项目安置"),
}

_GROWTH = {SpecialStatus.NEWBORN, SpecialStatus.NEW_SPOUSE}
_TEMPORARILY_AWAY = {SpecialStatus.STUDENT_AWAY, SpecialStatus.SERVICEMAN_AWAY}


@dataclass(frozen=True)
class MemberFacts:
    birth_date: dt.date
    hukou_nature: str
    hukou_moved_in: dt.date | None
    hukou_moved_out: dt.date | None
    special_status: str
    housing_welfare: str


@dataclass(frozen=True)
class Check:
    rule: str  # which rule was applied
    passed: bool
    code: str  # reason code when failed, "" when passed
    evidence: str


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def qualified(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed_codes(self) -> list[str]:
        return [check.code for check in self.checks if not check.passed]

    def failures_field(self) -> str:
        """The failed codes as stored on Member.verdict_failures (",A,B," or "")."""
        codes = self.failed_codes
        return f",{','.join(codes)}," if codes else ""

    def as_json(self) -> list[dict]:
        return [asdict(check) for check in self.checks]


def eligible_natures(project: Project) -> set[str]:
    natures = set()
    if project.agricultural_eligible:
        natures.add(HukouNature.AGRICULTURAL)
    if project.non_agricultural_eligible:
        natures.add(HukouNature.NON_AGRICULTURAL)
    if project.resident_eligible:
        natures.add(HukouNature.RESIDENT)
    return natures


def evaluate(
    facts: MemberFacts, project: Project, *, resettled_in: tuple[str, ...] = ()
) -> Verdict:
    """Apply every rule; `resettled_in` names other projects where this ID was resettled."""
    return Verdict(
        checks=(
            _arrival(facts, project),
            _not_moved_out(facts, project),
            _hukou_nature(facts, project),
            _housing_welfare(facts),
            _resettled_elsewhere(resettled_in),
        )
    )


def came_back(facts: MemberFacts) -> bool:
    """A moved-out date before the moved-in date records a hukou that was here from birth,
    moved out, and came back on the moved-in date (students, servicemen, returnees)."""
    return (
        facts.hukou_moved_in is not None
        and facts.hukou_moved_out is not None
        and facts.hukou_moved_out < facts.hukou_moved_in
    )


def arrival(facts: MemberFacts) -> dt.date:
    """When the hukou first came to the village: the moved-in date, or the birth date for a
    hukou registered here at birth (also for one that moved out and came back)."""
    if facts.hukou_moved_in is None or came_back(facts):
        return facts.birth_date
    return facts.hukou_moved_in


def _arrival(facts: MemberFacts, project: Project) -> Check:
    arrival_date = arrival(facts)
    born_here = facts.hukou_moved_in is None or came_back(facts)
    how = _("出生落户") if born_here else _("迁入")
    if arrival_date <= project.hukou_cutoff_date:
        return Check(
            "hukou_arrival",
            True,
            "",
            _("%(how)s日期 %(date)s,不晚于户口截止日 %(cutoff)s")
            % {"how": how, "date": arrival_date, "cutoff": project.hukou_cutoff_date},
        )
    if facts.special_status in _GROWTH:
        growth = {
            "kind": SpecialStatus(facts.special_status).label,
            "how": how,
            "date": arrival_date,
            "deadline": project.growth_deadline,
        }
        if arrival_date <= project.growth_deadline:
            return Check(
                "hukou_arrival",
                True,
                "",
                _("自然增长(%(kind)s):%(how)s日期 %(date)s,不晚于自然增长截止日 %(deadline)s")
                % growth,
            )
        return Check(
            "hukou_arrival",
            False,
            GROWTH_AFTER_DEADLINE,
            _("自然增长(%(kind)s):%(how)s日期 %(date)s,晚于自然增长截止日 %(deadline)s") % growth,
        )
    return Check(
        "hukou_arrival",
        False,
        HUKOU_AFTER_CUTOFF,
        _("%(how)s日期 %(date)s,晚于户口截止日 %(cutoff)s,且不属于自然增长")
        % {"how": how, "date": arrival_date, "cutoff": project.hukou_cutoff_date},
    )


def reference_date(facts: MemberFacts, project: Project) -> dt.date:
    """The day the member's hukou is judged on: the cut-off date, or for someone who arrived
    after it (natural growth) the growth deadline."""
    if arrival(facts) <= project.hukou_cutoff_date:
        return project.hukou_cutoff_date
    return project.growth_deadline


def _not_moved_out(facts: MemberFacts, project: Project) -> Check:
    """Was the hukou in the village on the reference date (docs/qualification.md §2.3)?
    Moved out on or before it and not back by it: fails. Moved out and back in by it, or
    moved out only after it: passes."""
    out = facts.hukou_moved_out
    on = reference_date(facts, project)
    back = facts.hukou_moved_in if came_back(facts) else None
    if out is None:
        return Check("not_moved_out", True, "", _("户口未迁出"))
    if out > on:
        return Check(
            "not_moved_out",
            True,
            "",
            _("户口于 %(out)s 迁出,晚于 %(on)s,该日户口仍在本村") % {"out": out, "on": on},
        )
    if back is not None and back <= on:
        return Check(
            "not_moved_out",
            True,
            "",
            _("户口于 %(out)s 迁出、%(back)s 迁回,%(on)s 时户口在本村")
            % {"out": out, "back": back, "on": on},
        )
    if facts.special_status in _TEMPORARILY_AWAY:
        return Check(
            "not_moved_out",
            True,
            "",
            _("户口于 %(date)s 临时迁出(%(kind)s),视为未迁出")
            % {"date": out, "kind": SpecialStatus(facts.special_status).label},
        )
    if back is not None:
        return Check(
            "not_moved_out",
            False,
            HUKOU_MOVED_OUT,
            _("户口于 %(out)s 迁出,%(back)s 才迁回,%(on)s 时不在本村")
            % {"out": out, "back": back, "on": on},
        )
    return Check(
        "not_moved_out",
        False,
        HUKOU_MOVED_OUT,
        _("户口已于 %(date)s 迁出") % {"date": out},
    )


def _hukou_nature(facts: MemberFacts, project: Project) -> Check:
    label = HukouNature(facts.hukou_nature).label
    if facts.hukou_nature in eligible_natures(project):
        return Check("hukou_nature", True, "", _("户口性质:%(n)s,本项目可安置") % {"n": label})
    return Check(
        "hukou_nature",
        False,
        HUKOU_NATURE_INELIGIBLE,
        _("户口性质:%(n)s,本项目政策不予安置") % {"n": label},
    )


def _housing_welfare(facts: MemberFacts) -> Check:
    if facts.housing_welfare == HousingWelfare.NONE:
        return Check("housing_welfare", True, "", _("未享受过福利性住房"))
    return Check(
        "housing_welfare",
        False,
        HOUSING_WELFARE_ENJOYED,
        _("已享受住房福利:%(w)s") % {"w": HousingWelfare(facts.housing_welfare).label},
    )


def _resettled_elsewhere(resettled_in: tuple[str, ...]) -> Check:
    if not resettled_in:
        return Check("resettled_elsewhere", True, "", _("未在其他项目安置"))
    return Check(
        "resettled_elsewhere",
        False,
        RESETTLED_ELSEWHERE,
        _("同一身份证号已在其他项目获安置:%(p)s")
        % {"p": pgettext("list separator", "、").join(resettled_in)},
    )
