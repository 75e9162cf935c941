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
from django.utils import timezone
from PIL import Image

from households.models import (
    Household,
    Project,
    VillagerGroup,
)
from lottery.models import Allocation, LotterySession
from settlement.models import (
    LineSide,
    OverAreaBand,
    PriceRules,
    Statement,
    StatementLine,
)
from settlement.services import approvals, handover
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


def make_statement(household: Household, net: Decimal | str) -> Statement:
    """A draft statement with one income and one expenditure line giving `net`."""
    net = Decimal(net)
    expenditure = Decimal("100000.00")
    income = expenditure + net
    statement = Statement.objects.create(
        household=household,
        project=household.project,
        income_total=income,
        expenditure_total=expenditure,
        net=net,
        inputs={"test": True},
        computed_at=timezone.now(),
    )
    StatementLine.objects.create(
        statement=statement,
        position=1,
        side=LineSide.INCOME,
        rule="demolition",
        label="被拆迁房屋补偿",
        inputs={"area": "180.50"},
        amount=income,
    )
    StatementLine.objects.create(
        statement=statement,
        position=2,
        side=LineSide.EXPENDITURE,
        rule="within_entitlement",
        label="应安置面积内购房款",
        inputs={"area": "150.00"},
        amount=expenditure,
    )
    return statement


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


def hand_over(household, clerk, *, on: dt.date = HANDED_OVER_ON, **overrides):
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
