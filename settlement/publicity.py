"""The publicity kinds of settlement (公示) — seed 003's five boards (五榜公示) as far as they
are money and progress, and 条例 Art. 29's per-household compensation result:

- 协议签订情况 (`agreements_signed`): every signed agreement;
- 补偿兑现情况 (`compensation_paid`): each approved statement, what was paid or collected so
  far and whether the household is settled;
- 分户补偿结果 (`compensation_results`): each approved statement's main figures (areas,
  compensation, subsidy, rewards, totals, net), so neighbours can compare;
- 征迁奖励情况 (`rewards`): each reward line of the approved statements, with the total;
- 工作进展情况 (`progress`): per villager group, how many households reached each stage.

Registered with `resettlement.publicity_kinds`; the publicity app freezes, hashes and masks
them. A statement appears once approved through the fund-approval chain (已审批 or 已结清):
a draft, one still being approved, or one reopened by a change or a correction after
settlement (back to draft until its new version is approved) is not yet a sum anyone may be
paid, so none of its figures are published. Rows never hold ID numbers, phones or bank
accounts; the head's name is masked by the kinds' columns, reward reasons as free text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from households.selectors.registration import head
from resettlement.masking import Mask
from resettlement.money import money_figure, money_text
from resettlement.publicity_kinds import (
    COMMUNITY,
    GROUP,
    HOUSEHOLD_HEAD_FIRST,
    Column,
    household_cells,
    register,
)
from resettlement.resident_journey import Fact, JourneySection, register_section
from settlement.models import (
    Agreement,
    DefectTicket,
    Handover,
    Outcome,
    Payment,
    Statement,
    StatementLine,
    StatementStatus,
)
from settlement.selectors.payments import paid_so_far
from settlement.selectors.progress import StageCounts, group_progress

# The statements whose figures may be published: approved through the chain (or settled).
PUBLISHABLE = (StatementStatus.APPROVED, StatementStatus.SETTLED)
ZERO = Decimal("0.00")


def agreement_rows(project, community=None) -> list[dict[str, Any]]:
    """Every signed resettlement agreement of the project."""
    agreements = (
        Agreement.objects.filter(project=project, signed_on__isnull=False)
        .select_related("household__community", "household__group")
        .annotate(head_name=head(household="household"))
        .order_by("household__community__code", "household__code")
    )
    if community is not None:
        agreements = agreements.filter(household__community=community)
    return [
        household_cells(a.household, head=a.head_name)
        | {
            "number": a.number,
            "signed_on": a.signed_on.isoformat(),
        }
        for a in agreements
    ]


def net_text(net: Decimal) -> str:
    """The net as a roster shows it: "应付 30,000.00" (paid to the household), "应收 …"
    (collected from it) or "0.00"."""
    if net > 0:
        return _("应付 %(a)s") % {"a": money_figure(net)}
    if net < 0:
        return _("应收 %(a)s") % {"a": money_figure(-net)}
    return "0.00"


def compensation_rows(project, community=None) -> list[dict[str, Any]]:
    """Each approved (or settled) statement: its net, what was paid or collected, settled."""
    paid = (
        Payment.objects.filter(statement=OuterRef("pk"))
        .values("statement")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    statements = (
        Statement.objects.filter(project=project, status__in=PUBLISHABLE)
        .select_related("household__community", "household__group")
        .annotate(head_name=head(household="household"), paid_total=Subquery(paid))
        .order_by("household__community__code", "household__code")
    )
    if community is not None:
        statements = statements.filter(household__community=community)
    rows = []
    for s in statements:
        rows.append(
            household_cells(s.household, head=s.head_name)
            | {
                "outcome": str(s.get_outcome_display()),
                "net": net_text(s.net),
                "paid": money_figure(s.paid_total or Decimal("0")),
                "settled": _("已结清") if s.status == StatementStatus.SETTLED else _("未结清"),
            }
        )
    return rows


AGREEMENTS_SIGNED = register(
    code="agreements_signed",
    label=gettext_lazy("协议签订情况公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("number", gettext_lazy("协议编号")),
        Column("signed_on", gettext_lazy("签订日期")),
    ),
    build_rows=agreement_rows,
)

COMPENSATION_PAID = register(
    code="compensation_paid",
    # 补偿兑现情况 is seed 003's name of the board; publications keep the code they were frozen
    # with (and their own title), so the label may follow the seed.
    label=gettext_lazy("补偿兑现情况公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("outcome", gettext_lazy("安置方式")),
        Column("net", gettext_lazy("结算金额(元)")),
        Column("paid", gettext_lazy("已付/已收(元)")),
        Column("settled", gettext_lazy("是否结清")),
    ),
    build_rows=compensation_rows,
)


# --- 分户补偿结果 (条例 Art. 29): each approved statement's main figures ------------------------


def _line_sum(*rules: str) -> Sum:
    return Sum("lines__amount", filter=Q(lines__rule__in=rules))


def _area(value) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except ArithmeticError:
        return ZERO


def _apartment_area(statement: Statement) -> Decimal | None:
    """The apartments' area the statement was computed with; None when monetised."""
    if statement.outcome == Outcome.MONETISED:
        return None
    apartments = (statement.inputs or {}).get("apartments") or []
    return sum((_area(a.get("area")) for a in apartments), ZERO)


# The figures of a result row (and of its total row), summed over the households.
_RESULT_SUMS = (
    "demolished_area",
    "demolition",
    "apartment_area",
    "monetised",
    "subsidy",
    "rewards",
    "deductions",
    "income",
    "expenditure",
    "net",
)
_RESULT_AREAS = {"demolished_area", "apartment_area"}


def _result_cells(figures: dict[str, Decimal | None]) -> dict[str, str]:
    cells = {}
    for key in _RESULT_SUMS:
        value = figures.get(key)
        if key == "net":
            cells[key] = net_text(value or ZERO)
        elif value is None:
            cells[key] = ""
        elif key in _RESULT_AREAS:
            cells[key] = f"{value:.2f}"
        else:
            cells[key] = money_figure(value)
    return cells


def _total_cells(community) -> dict[str, str]:
    """The household cells of a roster's last row: "合计" in the community's column, or for
    one community's publication its name there and "合计" in the group's column (so the row
    prints on that community's sheet)."""
    if community is not None:
        return {"household": "", "head": "", "community": community.name, "group": _("合计")}
    return {"household": "", "head": "", "community": _("合计"), "group": ""}


def _households_text(n: int) -> str:
    return ngettext("%(n)d 户", "%(n)d 户", n) % {"n": n}


def compensation_result_rows(project, community=None) -> list[dict[str, Any]]:
    """分户补偿结果: one row per household whose statement is approved (or settled) — its
    outcome, demolished area and its compensation, the apartments' area, monetised
    compensation, transition subsidy, rewards, deductions, the totals and the net — and a
    total row. One query."""
    statements = (
        Statement.objects.filter(project=project, status__in=PUBLISHABLE)
        .select_related("household__community", "household__group")
        .annotate(
            head_name=head(household="household"),
            demolition_total=_line_sum("demolition"),
            monetised_total=_line_sum("monetised"),
            subsidy_total=_line_sum("transition_subsidy"),
            rewards_total=_line_sum("reward"),
            deductions_total=_line_sum("deduction"),
        )
        .order_by("household__community__code", "household__code")
    )
    if community is not None:
        statements = statements.filter(household__community=community)
    rows = []
    totals = dict.fromkeys(_RESULT_SUMS, ZERO)
    for s in statements:
        apartment_area = _apartment_area(s)
        figures = {
            "demolished_area": _area((s.inputs or {}).get("demolished_area")),
            "demolition": s.demolition_total or ZERO,
            "apartment_area": apartment_area,
            "monetised": ((s.monetised_total or ZERO) if s.outcome == Outcome.MONETISED else None),
            "subsidy": s.subsidy_total or ZERO,
            "rewards": s.rewards_total or ZERO,
            "deductions": s.deductions_total or ZERO,
            "income": s.income_total,
            "expenditure": s.expenditure_total,
            "net": s.net,
        }
        for key, value in figures.items():
            totals[key] += value or ZERO
        rows.append(
            household_cells(s.household, head=s.head_name)
            | {"outcome": str(s.get_outcome_display())}
            | _result_cells(figures)
        )
    if rows:
        rows.append(
            _total_cells(community)
            | {"outcome": _households_text(len(rows))}
            | _result_cells(totals)
        )
    return rows


COMPENSATION_RESULTS = register(
    code="compensation_results",
    label=gettext_lazy("分户补偿结果公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("outcome", gettext_lazy("安置方式")),
        Column("demolished_area", gettext_lazy("被拆迁面积(㎡)")),
        Column("demolition", gettext_lazy("房屋补偿(元)")),
        Column("apartment_area", gettext_lazy("安置房面积(㎡)")),
        Column("monetised", gettext_lazy("货币化安置款(元)")),
        Column("subsidy", gettext_lazy("临时安置补助费(元)")),
        Column("rewards", gettext_lazy("奖励(元)")),
        Column("deductions", gettext_lazy("扣减(元)")),
        Column("income", gettext_lazy("收入合计(元)")),
        Column("expenditure", gettext_lazy("支出合计(元)")),
        Column("net", gettext_lazy("结算金额(元)")),
    ),
    build_rows=compensation_result_rows,
)


# --- 征迁奖励情况: the reward lines of the approved statements -------------------------------


def reward_rows(project, community=None) -> list[dict[str, Any]]:
    """征迁奖励情况: one row per reward line (its reason and amount) of each statement
    approved (or settled), household by household, and a total row with the number of
    households rewarded and the sum. One query."""
    lines = (
        StatementLine.objects.filter(
            statement__project=project, statement__status__in=PUBLISHABLE, rule="reward"
        )
        .select_related("statement__household__community", "statement__household__group")
        .annotate(head_name=head(household="statement__household"))
        .order_by("statement__household__community__code", "statement__household__code", "position")
    )
    if community is not None:
        lines = lines.filter(statement__household__community=community)
    rows = []
    total = ZERO
    households = set()
    for line in lines:
        household = line.statement.household
        households.add(household.pk)
        total += line.amount
        rows.append(
            household_cells(household, head=line.head_name)
            | {
                "reason": (line.inputs or {}).get("reason") or line.label,
                "amount": money_figure(line.amount),
            }
        )
    if rows:
        rows.append(
            _total_cells(community)
            | {"reason": _households_text(len(households)), "amount": money_figure(total)}
        )
    return rows


REWARDS = register(
    code="rewards",
    label=gettext_lazy("征迁奖励情况公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        # Written by staff: any ID or phone number in it is masked like free text.
        Column("reason", gettext_lazy("奖励事由"), Mask.TEXT),
        Column("amount", gettext_lazy("奖励金额(元)")),
    ),
    build_rows=reward_rows,
)


# --- 工作进展情况: per villager group, how far its households have come ---------------------


_PROGRESS = (
    ("registered", gettext_lazy("登记户数")),
    ("qualified", gettext_lazy("审批通过")),
    ("published", gettext_lazy("已公示")),
    ("drawn", gettext_lazy("已摇号")),
    ("signed", gettext_lazy("已签协议")),
    ("settled", gettext_lazy("已结清")),
    ("handed_over", gettext_lazy("已交房")),
    ("moved_in", gettext_lazy("已入住")),
    ("monetised", gettext_lazy("货币化安置")),
)


def _progress_cells(counts: StageCounts) -> dict[str, str]:
    return {key: str(getattr(counts, key)) for key, _label in _PROGRESS}


def progress_rows(project, community=None) -> list[dict[str, Any]]:
    """工作进展情况: one row per villager group with how many households reached each stage
    (`settlement.selectors.progress.stage_filters`, the dashboard's definitions), a subtotal
    row after each community's groups and, for the whole project, a total row. No personal
    data. Two queries."""
    rows: list[dict[str, Any]] = []
    total = StageCounts()
    subtotal: StageCounts | None = None
    current = None

    def close_community() -> None:
        if current is not None and subtotal is not None:
            rows.append(
                {"household": "", "community": current.name, "group": _("小计")}
                | _progress_cells(subtotal)
            )

    for item in group_progress(project, community):
        if current is None or item.community.pk != current.pk:
            close_community()
            current, subtotal = item.community, StageCounts()
        subtotal.add(item.counts)
        total.add(item.counts)
        rows.append(
            {"household": "", "community": item.community.name, "group": item.group.name}
            | _progress_cells(item.counts)
        )
    close_community()
    if rows and community is None:
        rows.append({"household": "", "community": _("合计"), "group": ""} | _progress_cells(total))
    return rows


PROGRESS = register(
    code="progress",
    label=gettext_lazy("工作进展情况公示"),
    columns=(
        COMMUNITY,
        GROUP,
        *(Column(key, label) for key, label in _PROGRESS),
    ),
    build_rows=progress_rows,
)


# --- The resident's own page (resettlement.resident_journey) -------------------------------


def journey_statement(lookup_code: str) -> JourneySection | None:
    """The statement's summary: outcome, totals, the net either way, what was paid so far."""
    statement = (
        Statement.objects.filter(household__lookup_code=lookup_code)
        .prefetch_related("payments")
        .first()
    )
    if statement is None:
        return None
    if statement.net > 0:
        net = _("应付给本户 %(a)s") % {"a": money_text(statement.net)}
    elif statement.net < 0:
        net = _("本户应交 %(a)s") % {"a": money_text(-statement.net)}
    else:
        net = money_text(Decimal("0"))
    facts = [
        Fact(gettext_lazy("安置方式"), str(statement.get_outcome_display())),
        Fact(gettext_lazy("状态"), str(statement.get_status_display())),
        Fact(gettext_lazy("收入合计"), money_text(statement.income_total)),
        Fact(gettext_lazy("支出合计"), money_text(statement.expenditure_total)),
        Fact(gettext_lazy("结算金额"), net),
    ]
    if statement.status in (StatementStatus.APPROVED, StatementStatus.SETTLED):
        facts.append(Fact(gettext_lazy("已付/已收"), money_text(paid_so_far(statement))))
    return JourneySection(key="statement", title=gettext_lazy("结算单"), facts=facts)


def journey_agreement(lookup_code: str) -> JourneySection | None:
    agreement = Agreement.objects.filter(household__lookup_code=lookup_code).first()
    if agreement is None:
        return None
    signed = agreement.signed_on.isoformat() if agreement.signed_on else _("已出具,待签订")
    return JourneySection(
        key="agreement",
        title=gettext_lazy("安置协议"),
        facts=[
            Fact(gettext_lazy("协议编号"), agreement.number),
            Fact(gettext_lazy("签订日期"), signed),
        ],
    )


def journey_handover(lookup_code: str) -> JourneySection | None:
    handover = Handover.objects.filter(household__lookup_code=lookup_code).first()
    if handover is None:
        return None
    return JourneySection(
        key="handover",
        title=gettext_lazy("交房与入住"),
        facts=[
            Fact(gettext_lazy("交房日期"), handover.handed_over_on.isoformat()),
            Fact(gettext_lazy("钥匙数量"), str(handover.keys)),
            Fact(
                gettext_lazy("入住日期"),
                handover.moved_in_on.isoformat() if handover.moved_in_on else _("尚未入住"),
            ),
        ],
    )


def journey_defects(lookup_code: str) -> JourneySection | None:
    tickets = list(
        DefectTicket.objects.filter(household__lookup_code=lookup_code)
        .select_related("apartment")
        .order_by("-reported_at", "-pk")
    )
    if not tickets:
        return None
    return JourneySection(
        key="defects",
        title=gettext_lazy("报修"),
        columns=(
            gettext_lazy("报修日期"),
            gettext_lazy("房号"),
            gettext_lazy("位置"),
            gettext_lazy("问题描述"),
            gettext_lazy("状态"),
            gettext_lazy("处理答复"),
        ),
        rows=[
            (
                timezone.localdate(t.reported_at).isoformat(),
                t.apartment.code if t.apartment_id else "",
                t.location,
                t.description,
                str(t.get_status_display()),
                t.answer,
            )
            for t in tickets
        ],
        link=reverse("settlement-public:household", args=[lookup_code]),
        link_label=gettext_lazy("报修与售后服务"),
    )


register_section("statement", journey_statement, order=40)
register_section("agreement", journey_agreement, order=50)
register_section("handover", journey_handover, order=60)
register_section("defects", journey_defects, order=70)
