"""Settlement test data.

Plain rows (the statement arithmetic, price rules and approvals have their own tests, so
these skip the services): `make_household` (an approved household with its head, as the
registry leaves it), `make_statement` (a draft statement with two lines giving a net),
`set_price_rules` (a project's prices and over-area bands), `SettlementProject` (what the
`settlement_project` fixture returns: the lottery project, its signed session, its prices).

Through the services (the row must be what the service makes): `approve_next`,
`approve_through` (statement approvals, step by step), `hand_over` (a handover record).

Files as a phone sends them: `png_bytes`, `jpeg_bytes`, `upload`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from households.models import (
    Household,
    Project,
    VillagerGroup,
)
from lottery.models import Allocation, LotterySession
from lottery.selectors.sign_off import binding_allocations
from settlement.models import (
    Adjustment,
    AdjustmentKind,
    Outcome,
    OverAreaBand,
    Payment,
    PaymentDirection,
    PriceRules,
    Statement,
    StatementStatus,
)
from settlement.services import approvals, handover
from settlement.services import statements as settlement_statements
from tests.households.factories import ApprovedHouseholdFactory, HeadFactory
from tests.people import Chain

# The project's prices (元/㎡, or 元 per person per month for the subsidy).
PRICES = {
    "base_price": Decimal("3000.00"),
    "unused_area_price": Decimal("2000.00"),
    "demolition_price": Decimal("1500.00"),
    "monetised_price": Decimal("5000.00"),
    "tier_a_coefficient": Decimal("1.0200"),
    "tier_b_coefficient": Decimal("1.0100"),
    "tier_c_coefficient": Decimal("0.9800"),
    "subsidy_basis": "persons",
    "subsidy_rate": Decimal("500.00"),
}
# Over-area bands: (up_to ㎡ over the entitlement, price); the last one open-ended.
BANDS = [(Decimal("10.00"), Decimal("4500.00")), (None, Decimal("6000.00"))]
DEMOLISHED_AREA = Decimal("150.00")
MOVED_OUT_ON = dt.date(2025, 11, 20)


@dataclass
class SettlementProject:
    lp: object  # tests.lottery.factories.LotteryProject
    session: LotterySession
    price_rules: PriceRules

    @property
    def project(self):
        return self.lp.project

    @property
    def households(self) -> list[Household]:
        return self.lp.households

    @property
    def groups(self):
        return self.lp.groups

    def household(self, code: str) -> Household:
        return Household.objects.get(project=self.project, code=code)

    def apartments_of(self, household: Household):
        return [
            a.apartment
            for a in Allocation.objects.filter(household=household, binding=True)
            .select_related("apartment")
            .order_by("apartment__code")
        ]


def set_price_rules(project, actor, *, bands=BANDS, **overrides) -> PriceRules:
    """The project's price rules and bands written directly (replacing any)."""
    values = {**PRICES, **overrides}
    rules, _created = PriceRules.objects.update_or_create(
        project=project, defaults={**values, "updated_by": actor}
    )
    OverAreaBand.objects.filter(project=project).delete()
    for position, (up_to, price) in enumerate(bands, start=1):
        OverAreaBand.objects.create(project=project, position=position, up_to=up_to, price=price)
    return rules


@dataclass
class Money:
    project: Project
    group: VillagerGroup  # G1: one household owes, two are owed
    other_group: VillagerGroup  # G2: one household owed
    owes: Household  # net -20,000.00
    owed: Household  # net +30,000.00
    owed_too: Household  # net +15,000.00
    elsewhere: Household  # G2, net +8,000.00


def make_household(group: VillagerGroup, *, actor, code: str | None = None) -> Household:
    """An approved household (entitlement 150 ㎡, demolished 180.50 ㎡) and its head."""
    codes = {"code": code} if code else {}
    household = ApprovedHouseholdFactory(
        group=group, registered_by=actor, demolished_area=Decimal("180.50"), **codes
    )
    HeadFactory(household=household)
    return household


# make_statement's price per ㎡ of demolished house (the only price of its projects).
MAKE_STATEMENT_PRICE = Decimal("1000.00")


def make_statement(household: Household, net: Decimal | str) -> Statement:
    """A draft statement with one income and one expenditure line giving `net`, computed by
    the statement service from real inputs (so the settlement gates find it current): the
    project's prices pay `MAKE_STATEMENT_PRICE` (1,000.00 元) per ㎡ of demolished house and
    nothing else, the household is monetised (no apartments needed), its demolished area
    gives the income (100,000.00 元 + net: a net of 30,000.00 元 is 130.00 ㎡, a household's
    size, not 130,000 ㎡) and a deduction ("应安置面积内购房款") the expenditure of
    100,000.00 元. `net` is a multiple of 10 元 (the area has two decimals)."""
    net = Decimal(net)
    expenditure = Decimal("100000.00")
    income = expenditure + net
    area = income / MAKE_STATEMENT_PRICE
    if area != area.quantize(Decimal("0.01")):
        raise ValueError(f"make_statement: a net of {net} gives no area of two decimals")
    actor = household.registered_by
    if not PriceRules.objects.filter(project=household.project).exists():
        set_price_rules(
            household.project,
            actor,
            bands=[(None, Decimal("0.00"))],
            base_price=Decimal("0.00"),
            unused_area_price=Decimal("0.00"),
            demolition_price=MAKE_STATEMENT_PRICE,
            monetised_price=Decimal("0.00"),
            subsidy_rate=Decimal("0.00"),
        )
    Household.objects.filter(pk=household.pk).update(demolished_area=area.quantize(Decimal("0.01")))
    Adjustment.objects.create(
        household=household,
        kind=AdjustmentKind.DEDUCTION,
        amount=expenditure,
        reason="应安置面积内购房款",
        created_by=actor,
    )
    with transaction.atomic():
        return settlement_statements._compute(household, actor=None, outcome=Outcome.MONETISED)


def approve_next(*, actor, statement: Statement, comment: str = ""):
    """Approve the step the statement waits for now, as the statement's page (showing that
    step) asks for it. A statement waiting for no step is asked for step 1."""
    step = approvals.next_step(Statement.objects.get(pk=statement.pk))
    return approvals.statement_approve(
        actor=actor,
        statement=statement,
        expected_position=step.position if step is not None else 1,
        comment=comment,
    )


def approve_through(statement: Statement, chain: Chain, *, steps: int | None = None) -> Statement:
    """Take the first `steps` steps of the default chain (all that apply to the statement by
    default: a collection has six, a payment seven), one person of `chain` each."""
    for person in chain.people[: steps if steps is not None else len(chain.people)]:
        if steps is None and approvals.next_step(Statement.objects.get(pk=statement.pk)) is None:
            break
        approve_next(actor=person, statement=statement)
    statement.refresh_from_db()
    return statement


def statement_of(household: Household) -> Statement:
    return Statement.objects.get(household=household)


HANDED_OVER_ON = dt.date(2026, 1, 10)


def png_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(colour: str = "grey") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type)


def first_household(sp) -> Household:
    return sorted(sp.households, key=lambda h: h.code)[0]


def settle(household: Household) -> Statement:
    """The household's statement computed (if it has none) and settled, written directly: the
    chain approved it and the whole net was paid or collected (keys come only after that,
    `settlement.gates.handover_ready`)."""
    statement = Statement.objects.filter(household=household).first()
    if statement is None:
        if not PriceRules.objects.filter(project=household.project).exists():
            set_price_rules(household.project, household.registered_by)
        with transaction.atomic():
            statement = settlement_statements._compute(household, actor=None)
    if statement.status != StatementStatus.SETTLED:
        now = timezone.now()
        Statement.objects.filter(pk=statement.pk).update(
            status=StatementStatus.SETTLED, approved_at=now, settled_at=now
        )
        if statement.net:
            Payment.objects.create(
                statement=statement,
                direction=PaymentDirection.PAY if statement.net > 0 else PaymentDirection.COLLECT,
                amount=abs(statement.net),
                idempotency_key=f"settle-{statement.pk}",
                recorded_by=household.registered_by,
            )
        statement.refresh_from_db()
    return statement


def hand_over(household, clerk, *, on: dt.date = HANDED_OVER_ON, **overrides):
    """Keys handed over through the service; the statement is settled first (`settle`)
    unless the test says otherwise (`settled=False`)."""
    settled = overrides.pop("settled", True)
    if settled and not overrides.get("correct") and binding_allocations(household).exists():
        settle(household)
    values = {
        "handed_over_on": on,
        "keys": 3,
        "water_reading": "12.50",
        "electricity_reading": "305.0",
        "gas_reading": None,
        "received_by": "王建国",
        "signature_record": "交房确认单第0001号",
        **overrides,
    }
    return handover.handover_record(actor=clerk, household=household, **values)
