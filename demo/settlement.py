"""The settlement and handover stage of the demo data (`seed_demo`), carried out through the
settlement services after the lottery stage, as the office would once the apartments are
drawn (seed 000: settle within ten days; seed 003: the seven fund-approval steps; seed 004:
the relocation subsidy paid in full):

- `leader` sets YH2013's prices, floor-tier coefficients and two over-area bands;
- the clerk who registered each approved household records when it moved out (some in the
  last months of the previous year, so the relocation subsidy runs across a year end);
- `finance` adds a reward and a deduction, each with its reason, to the first demo group,
  chooses monetised resettlement for each household without apartments (normally only one
  where nobody qualified, which had nothing to choose in the lottery), and computes every
  approved household's statement;
- the first villager group of several approved households, all with apartments, is taken
  all the way: agreements issued and signed, every statement through the seven steps
  (reviewer, leader, leader2, finance, finance2, finance3, finance4: one person a step),
  collections recorded before payouts (`finance4`, with idempotency keys; one request is
  repeated, as a double-clicked button would), the group settled, keys handed over with the
  meter readings, most households moved in; three defect tickets: one reported by a resident
  through the lookup code and answered by `clerk`, one taken by `clerk2` on the phone,
  answered and closed, and one a resident reported that waits for an answer;
- after the keys, one household of that group that was paid has its demolished area
  corrected (an annex the survey missed): `leader` opens a correction after settlement with
  the reason, `clerk` corrects the area in the registry with that reason (the household goes
  back to `leader`, who approves it again), `finance` recomputes the statement into a new
  version that goes through the seven steps again, and the difference is paid;
- the next such group is partly through the chain: its statements stopped at different steps.

The demo compresses time: the lottery ran today, so everything after it (signing, payments,
handover, moving in) happens today too; only the moving-out dates lie in the past. Inputs are
deterministic for a given seed; the amounts depend on the apartments drawn (the draw's secret
is random, see demo/lottery.py). Runs inside seed_demo's transaction.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from demo.households import MAIN_PROJECT_CODE, approve, missing_users, ready_users
from households.models import Household, HouseholdStatus, Project, VillagerGroup
from households.services.registration import household_update
from households.services.unmask import personal_data_unmask
from lottery.selectors.sign_off import binding_allocations
from settlement.models import AdjustmentKind, Outcome, Statement, StatementStatus
from settlement.selectors.groups import group_settlement
from settlement.selectors.handover import head_name
from settlement.selectors.payments import remaining
from settlement.services import agreements, approvals, corrections, handover, payments, prices
from settlement.services import defects as settlement_defects
from settlement.services import statements as settlement_statements

# Who acts in this stage beyond demo.households' actors, and what each needs.
SETTLEMENT_ROLES = {
    "leader2": "settlement.approve_statement",
    "finance": "settlement.compute_statement",
    "finance2": "settlement.approve_statement",
    "finance3": "settlement.approve_statement",
    "finance4": "settlement.record_payment",
    "reviewer": "settlement.approve_statement",
    "clerk": "settlement.add_handover",
    "clerk2": "settlement.add_defectticket",
}
# The people taking the chain's steps, by role, in the order they step in.
APPROVERS = {
    "reviewer": ("reviewer", "reviewer2"),
    "leader": ("leader", "leader2"),
    "finance": ("finance", "finance2", "finance3", "finance4"),
}
CASHIER = "finance4"

PRICES = {
    "base_price": "1450.00",  # 安置价 per m² of apartment within the entitlement
    "unused_area_price": "2200.00",  # paid for entitlement left unused
    "demolition_price": "1000.00",  # the demolished house, per m²
    "monetised_price": "6500.00",  # 货币化安置 per m² of entitlement
    "subsidy_rate": "500.00",  # 过渡费 per person per month
    "tier_a_coefficient": "1.05",
    "tier_b_coefficient": "1.00",
    "tier_c_coefficient": "0.95",
}
BANDS = [("10.00", "3000.00"), (None, "6000.00")]
REWARD = ("1500.00", "按期签约腾房奖励")
DEDUCTION = ("800.00", "腾房时拆除附属用房未清运,代为清运费用")
UNMASK_REASON = "电话通知该户领取补偿款"
# The correction after settlement: the survey of one settled household missed an annex.
CORRECTION_REASON = "复核测量发现漏计附属用房 5.00 ㎡,经领导小组研究同意更正被拆迁面积"
CORRECTION_AREA = Decimal("5.00")
# Several approved households, all with apartments: the group the demo settles.
SEVERAL = 3
DEFECTS = (
    ("卫生间", "淋浴区地漏返水,地面积水不退。"),
    ("主卧窗户", "窗框与墙体之间有缝隙,下雨时渗水。"),
    ("厨房", "燃气表箱门关不上。"),
)
DEFECT_ANSWER = "已安排物业维修人员三日内上门处理,维修后请回复确认。"
PHONE_ANSWER = "已上门更换密封胶条,住户确认不再渗水。"


@dataclass
class SettlementSummary:
    statements: int
    monetised: list[str]
    settled_group: str | None
    settled_households: int
    collected: Decimal
    paid: Decimal
    partial_group: str | None
    partial_steps: dict[str, int] = field(default_factory=dict)
    defects: int = 0
    corrected: str | None = None

    def lines(self) -> list[str]:
        lines = [
            f"{MAIN_PROJECT_CODE} settlement and handover",
            f"  statements computed: {self.statements}"
            + (f" (monetised: {', '.join(self.monetised)})" if self.monetised else ""),
        ]
        if self.settled_group:
            lines.append(
                f"  group {self.settled_group}: settled, {self.settled_households} households "
                f"(collected {self.collected} 元, paid {self.paid} 元), keys handed over, "
                f"{self.defects} defect tickets"
            )
        if self.corrected:
            lines.append(f"  {self.corrected}: corrected after settlement ({CORRECTION_REASON})")
        if self.partial_group:
            steps = ", ".join(f"{code} {n}" for code, n in sorted(self.partial_steps.items()))
            lines.append(f"  group {self.partial_group}: partly approved ({steps})")
        return lines


def missing_settlement_users() -> list[str]:
    return missing_users(SETTLEMENT_ROLES)


def settlement_users(users: dict) -> dict:
    """`users` with the finance staff, leader2 and reviewer; DemoUsersMissing when they are
    not ready."""
    approvers = (name for names in APPROVERS.values() for name in names)
    return {**users, **ready_users(SETTLEMENT_ROLES, also=approvers)}


# -- inputs ---------------------------------------------------------------------------------


def _moved_out_on(rng: random.Random, today: dt.date) -> dt.date:
    """Half moved out in November or December of last year (the subsidy runs across the
    year end), the rest at some day of the 300 before today."""
    if rng.random() < 0.5:
        year = today.year - 1 if today >= dt.date(today.year, 2, 1) else today.year - 2
        return dt.date(year, rng.choice((11, 12)), rng.randint(1, 28))
    return today - dt.timedelta(days=rng.randint(30, 300))


def _transitions(households: list[Household], users: dict, rng: random.Random) -> None:
    today = timezone.localdate()
    clerks = {users["clerk"].pk: users["clerk"], users["clerk2"].pk: users["clerk2"]}
    for household in households:
        moved_out = _moved_out_on(rng, today)
        settlement_statements.transition_record(
            actor=clerks.get(household.registered_by_id, users["clerk"]),
            household=household,
            moved_out_on=moved_out,
            promised_by=dt.date(moved_out.year + 2, moved_out.month, 1),
        )


def _groups_with_apartments(households: list[Household], several: int) -> list[VillagerGroup]:
    """Groups with `several` or more approved households, all with apartments, in code order;
    groups without households still in the registry's queue first."""
    with_apartments = {h.pk for h in households if binding_allocations(h).exists()}
    by_group: dict[int, list[Household]] = {}
    for household in households:
        by_group.setdefault(household.group_id, []).append(household)
    groups = (
        VillagerGroup.objects.filter(pk__in=by_group)
        .annotate(
            waiting=Count("households", filter=~Q(households__status=HouseholdStatus.APPROVED))
        )
        .select_related("community")
        .order_by("community__code", "code")
    )
    fitting = [
        g
        for g in groups
        if len(by_group[g.pk]) >= several and all(h.pk in with_apartments for h in by_group[g.pk])
    ]
    return sorted(fitting, key=lambda g: g.waiting > 0)


# -- the chain and the money ----------------------------------------------------------------


def _approve(statement: Statement, users: dict, *, steps: int | None = None) -> None:
    """Take the chain's next `steps` steps (all that apply to the statement by default: a
    collection has no payment steps), each by the next person of the step's role who has not
    yet taken a step on this statement."""
    chain = approvals.statement_chain(statement)
    current = statement.approvals.filter(round=statement.approval_round)
    taken = set(current.values_list("actor__username", flat=True))
    done = set(current.values_list("position", flat=True))
    todo = [s for s in chain if s.position not in done]
    for step in todo[:steps]:
        name = next(n for n in APPROVERS[step.role] if n not in taken)
        taken.add(name)
        approvals.statement_approve(
            actor=users[name],
            statement=statement,
            expected_position=step.position,
            comment=f"{step.label}:同意。",
        )


def _settle(statements: list[Statement], users: dict, rng: random.Random) -> tuple:
    """Collect first, pay later: every collection, then every payout; some in two parts."""
    cashier = users[CASHIER]
    collected = paid = Decimal("0.00")
    ordered = sorted(statements, key=lambda s: (s.net >= 0, s.household.code))
    for statement in ordered:
        statement.refresh_from_db()
        if statement.status == StatementStatus.SETTLED:
            continue
        total = abs(statement.net)
        what = "collect" if statement.net < 0 else "pay"
        parts = [total]
        if total >= Decimal("20000") and rng.random() < 0.5:
            first = (total * Decimal("0.6")).quantize(Decimal("1"))
            parts = [first, total - first]
        for number, amount in enumerate(parts, start=1):
            key = f"{MAIN_PROJECT_CODE}-{statement.household.code}-{what}-{number}"
            reference = f"{'收款' if what == 'collect' else '转账'}凭证 {key}"
            payments.payment_record(
                actor=cashier,
                statement=statement,
                amount=amount,
                idempotency_key=key,
                reference=reference,
            )
            if number == 1 and statement is ordered[0]:
                # The button pressed twice: the same key returns the first payment.
                _again, created = payments.payment_record(
                    actor=cashier,
                    statement=statement,
                    amount=amount,
                    idempotency_key=key,
                    reference=reference,
                )
                assert not created
        if what == "collect":
            collected += total
        else:
            paid += total
    return collected, paid


# -- agreements, keys, after-care -----------------------------------------------------------


def _agreements(households: list[Household], users: dict) -> None:
    today = timezone.localdate()
    for household in households:
        agreement, _pdf = agreements.agreement_issue(actor=users["clerk"], household=household)
        agreements.agreement_sign(
            actor=users["clerk"],
            agreement=agreement,
            signed_on=today,
            signer_name=head_name(household) or household.code,
        )


def _handovers(households: list[Household], users: dict, rng: random.Random) -> None:
    today = timezone.localdate()
    for index, household in enumerate(households):
        apartments = binding_allocations(household).count()
        handover.handover_record(
            actor=users["clerk"],
            household=household,
            handed_over_on=today,
            keys=3 * apartments,
            water_reading=f"{rng.randint(0, 3)}.{rng.randint(0, 99):02d}",
            electricity_reading=f"{rng.randint(0, 12)}.{rng.randint(0, 99):02d}",
            gas_reading=f"{rng.randint(0, 2)}.{rng.randint(0, 99):02d}",
            received_by=head_name(household) or household.code,
            signature_record=f"交房确认单 {MAIN_PROJECT_CODE}-JF-{household.code}",
        )
        if index % 3 != 2:  # most have moved in
            handover.move_in_record(actor=users["clerk"], household=household, moved_in_on=today)


def _defects(households: list[Household], users: dict) -> int:
    first, second, third = (households * 3)[:3]
    (where1, what1), (where2, what2), (where3, what3) = DEFECTS
    ticket = settlement_defects.defect_report(household=first, location=where1, description=what1)
    settlement_defects.defect_answer(actor=users["clerk"], ticket=ticket, answer=DEFECT_ANSWER)
    phoned = settlement_defects.defect_report(
        household=second, location=where2, description=what2, actor=users["clerk2"]
    )
    settlement_defects.defect_answer(
        actor=users["clerk2"], ticket=phoned, answer=PHONE_ANSWER, close=True
    )
    settlement_defects.defect_report(household=third, location=where3, description=what3)
    return 3


# -- a correction after settlement ----------------------------------------------------------


def _correction(members: list[Household], users: dict) -> str | None:
    """One settled household paid (net > 0) has its demolished area corrected after
    settlement: a leader opens a correction with the reason, the clerk corrects the area in
    the registry (which reopens the statement as a new version, households.signals), the
    new version goes through the chain again and the difference is paid. Payouts only, so
    collections still come first."""
    paid_out = [h for h in members if Statement.objects.get(household=h).net > 0]
    if not paid_out:
        return None
    household = Household.objects.get(pk=paid_out[-1].pk)
    corrections.correction_open(
        actor=users["leader"], household=household, reason=CORRECTION_REASON
    )
    household_update(
        actor=users["clerk"],
        household=household,
        data={"demolished_area": household.demolished_area + CORRECTION_AREA},
        reason=CORRECTION_REASON,
    )
    statement = Statement.objects.get(household=household)
    if statement.status == StatementStatus.SETTLED:
        # The registry did not reopen the statement (households.signals not sent): the
        # correction stays open, shown on the household's settlement page.
        return household.code
    # Change control sent the household back to the leader; once it is approved again,
    # finance recomputes the stale draft (a new version) and the chain starts again.
    household = approve(
        leader=users["leader"], household=household, opinion="更正被拆迁面积后,同意按政策安置。"
    )
    statement = settlement_statements.statement_compute(actor=users["finance"], household=household)
    _approve(statement, users)
    statement.refresh_from_db()
    key = f"{MAIN_PROJECT_CODE}-{household.code}-correction-pay"
    payments.payment_record(
        actor=users[CASHIER],
        statement=statement,
        amount=abs(remaining(statement)),
        idempotency_key=key,
        reference=f"转账凭证 {key}",
    )
    return household.code


# -- the stage ------------------------------------------------------------------------------


def _monetised(households: list[Household], users: dict) -> list[str]:
    """Monetised resettlement for every approved household without apartments."""
    codes = []
    for household in households:
        if not binding_allocations(household).exists():
            settlement_statements.outcome_choose(
                actor=users["finance"], household=household, outcome=Outcome.MONETISED
            )
            codes.append(household.code)
    return codes


def seed_settlement(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> SettlementSummary:
    """Prices, transitions, statements, one group settled and handed over, one partly
    approved (see the module docstring). Precondition: the lottery stage has run in this
    transaction."""
    rng = random.Random(f"{seed}:settlement")
    users = settlement_users(users)
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    households = list(
        Household.objects.filter(project=project, status=HouseholdStatus.APPROVED)
        .select_related("project", "group")
        .order_by("code")
    )

    prices.price_rules_set(actor=users["leader"], project=project, **PRICES, bands=BANDS)
    _transitions(households, users, rng)
    progress(f"  {MAIN_PROJECT_CODE}: prices set, {len(households)} move-out dates recorded")

    several = _groups_with_apartments(households, SEVERAL)
    pairs = _groups_with_apartments(households, 2)
    settled_group = (several or pairs or [None])[0]
    anyone = _groups_with_apartments(households, 1)
    partial_group = next((g for g in several + pairs + anyone if g != settled_group), None)
    members = [h for h in households if settled_group and h.group_id == settled_group.pk]
    finance = users["finance"]
    if members:
        settlement_statements.adjustment_add(
            actor=finance,
            household=members[0],
            kind=AdjustmentKind.REWARD,
            amount=REWARD[0],
            reason=REWARD[1],
        )
        settlement_statements.adjustment_add(
            actor=finance,
            household=members[-1],
            kind=AdjustmentKind.DEDUCTION,
            amount=DEDUCTION[0],
            reason=DEDUCTION[1],
        )
    monetised = _monetised(households, users)
    statements = {}
    for household in households:
        if household.code in monetised:
            statements[household.pk] = Statement.objects.get(household=household)
            continue
        statements[household.pk] = settlement_statements.statement_compute(
            actor=finance, household=household
        )
    progress(f"  {MAIN_PROJECT_CODE}: {len(statements)} statements computed")

    collected = paid = Decimal("0.00")
    defects = 0
    corrected = None
    if settled_group is not None:
        _agreements(members, users)
        group_statements = [statements[h.pk] for h in members]
        for statement in group_statements:
            _approve(statement, users)
        collected, paid = _settle(group_statements, users, rng)
        # Finance sees phone numbers masked; to ring a family about its payment the officer
        # unmasks that one number, and the reason is recorded for the supervising office.
        personal_data_unmask(actor=finance, household=members[0], reason=UNMASK_REASON)
        _handovers(members, users, rng)
        defects = _defects(members, users)
        corrected = _correction(members, users)
        if not group_settlement(settled_group).settled:  # pragma: no cover - a broken stage
            raise RuntimeError(f"the demo group {settled_group.code} did not settle")
        progress(f"  {MAIN_PROJECT_CODE}: group {settled_group.code} settled and handed over")

    partial_steps: dict[str, int] = {}
    if partial_group is not None:
        for index, household in enumerate(h for h in households if h.group_id == partial_group.pk):
            chain = approvals.statement_chain(statements[household.pk])
            steps = 1 + index % (len(chain) - 1)  # never the last: mid-chain
            _approve(statements[household.pk], users, steps=steps)
            code = chain[steps - 1].code
            partial_steps[code] = partial_steps.get(code, 0) + 1
        progress(f"  {MAIN_PROJECT_CODE}: group {partial_group.code} partly approved")

    return SettlementSummary(
        statements=len(statements),
        monetised=monetised,
        settled_group=settled_group.code if settled_group else None,
        settled_households=len(members),
        collected=collected,
        paid=paid,
        partial_group=partial_group.code if partial_group else None,
        partial_steps=partial_steps,
        defects=defects,
        corrected=corrected,
    )
