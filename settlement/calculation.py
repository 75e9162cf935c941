"""The household statement's arithmetic: plain inputs in, income and expenditure lines out.

No database here: `settlement.selectors.statements` gathers the inputs (entitlement,
apartments, prices, dates, adjustments) and `settlement.services.statements` stores what
`statement_lines` returns. Every rule, with hand-worked
examples, is written in docs/settlement.md; the tests assert those examples' numbers.

Rounding (the one rule, docs/settlement.md “Rounding”): each line's amount is computed
exactly from its inputs and then rounded once, half up, to 0.01 元 (`money`); areas are
kept to 0.01 ㎡ (`area`). Totals are sums of the rounded lines, never rounded again.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")

INCOME = "income"
EXPENDITURE = "expenditure"

APARTMENT = "apartment"
MONETISED = "monetised"

PERSONS = "persons"
AREA = "area"

REWARD = "reward"
DEDUCTION = "deduction"


def money(value: Decimal) -> Decimal:
    """The rounding rule for money: half up to 0.01 元."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def area(value: Decimal) -> Decimal:
    """The rounding rule for areas: half up to 0.01 ㎡."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value: Decimal | int | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# -- inputs and lines ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApartmentInput:
    code: str
    area: Decimal
    tier: str  # "A", "B" or "C"
    type: str  # the apartment type's code


@dataclass(frozen=True)
class BandInput:
    """An over-area band: over-area up to `up_to` ㎡ (cumulative; None = everything beyond
    the previous band) at `price` 元/㎡."""

    up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class Prices:
    base_price: Decimal
    unused_area_price: Decimal
    demolition_price: Decimal
    monetised_price: Decimal
    tier_coefficients: dict[str, Decimal]
    subsidy_basis: str
    subsidy_rate: Decimal
    bands: tuple[BandInput, ...] = ()


@dataclass(frozen=True)
class AdjustmentInput:
    kind: str  # "reward" or "deduction"
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class StatementInputs:
    entitlement_area: Decimal
    population: int
    demolished_area: Decimal
    outcome: str
    prices: Prices
    apartments: tuple[ApartmentInput, ...] = ()
    # The subsidy runs from moving out until the handover (or the day of computation).
    moved_out_on: dt.date | None = None
    subsidy_until: dt.date | None = None
    adjustments: tuple[AdjustmentInput, ...] = ()
    # An overdue household switched to cash (超期改货币补偿): the day the monetised outcome
    # is valued at and the policy's rule for it ("switch_day" or "promised_day").
    cash_valued_on: dt.date | None = None
    cash_valuation_day: str = ""
    # Months a transition-subsidy run has paid (first day of the calendar month each subsidy
    # month starts in): the statement's subsidy line leaves them out (docs/settlement.md,
    # "Transition-subsidy runs"). With a transition policy, months starting on or after
    # `overdue_from` (the promised return day) count `overdue_multiplier` times.
    paid_months: tuple[dt.date, ...] = ()
    overdue_from: dt.date | None = None
    overdue_multiplier: Decimal = ONE

    def as_record(self) -> dict:
        """The inputs as written on the statement (strings, JSON-safe)."""
        record = self._record()
        if self.cash_valued_on is not None:
            # Only for a switch to cash, so the other statements' records stay as they were.
            record["cash_valued_on"] = _text(self.cash_valued_on)
            record["cash_valuation_day"] = self.cash_valuation_day
        return record

    def _record(self) -> dict:
        p = self.prices
        return {
            "entitlement_area": _text(self.entitlement_area),
            "population": self.population,
            "demolished_area": _text(self.demolished_area),
            "outcome": self.outcome,
            "apartments": [
                {"code": a.code, "area": _text(a.area), "tier": a.tier, "type": a.type}
                for a in self.apartments
            ],
            "moved_out_on": _text(self.moved_out_on),
            "subsidy_until": _text(self.subsidy_until),
            **(
                {"subsidy_paid_months": [_text(m) for m in sorted(self.paid_months)]}
                if self.paid_months
                else {}
            ),
            **(
                {
                    "overdue_from": _text(self.overdue_from),
                    "overdue_multiplier": _text(self.overdue_multiplier),
                }
                if self.overdue_from is not None
                else {}
            ),
            "adjustments": [
                {"kind": a.kind, "amount": _text(a.amount), "reason": a.reason}
                for a in self.adjustments
            ],
            "prices": {
                "base_price": _text(p.base_price),
                "unused_area_price": _text(p.unused_area_price),
                "demolition_price": _text(p.demolition_price),
                "monetised_price": _text(p.monetised_price),
                "tier_coefficients": {k: _text(v) for k, v in sorted(p.tier_coefficients.items())},
                "subsidy_basis": p.subsidy_basis,
                "subsidy_rate": _text(p.subsidy_rate),
                "bands": [{"up_to": _text(b.up_to), "price": _text(b.price)} for b in p.bands],
            },
        }


@dataclass(frozen=True)
class LineSpec:
    """One line of a statement: which side, the rule that produced it, a label for people,
    the rule's inputs (as strings) and the amount (≥ 0, rounded)."""

    side: str
    rule: str
    label: str
    amount: Decimal
    inputs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    income: Decimal
    expenditure: Decimal

    @property
    def net(self) -> Decimal:
        """Positive: paid to the household; negative: collected from it."""
        return self.income - self.expenditure


def totals(lines: Sequence[LineSpec]) -> Totals:
    return Totals(
        income=money(sum((line.amount for line in lines if line.side == INCOME), ZERO)),
        expenditure=money(sum((line.amount for line in lines if line.side == EXPENDITURE), ZERO)),
    )


# -- over-area bands ---------------------------------------------------------------------------


def band_problems(bands: Sequence[BandInput]) -> list[tuple[str, str]]:
    """What is wrong with a project's over-area bands, as (field, message) pairs: at least
    one band, prices ≥ 0, each `up_to` > 0 and larger than the one before, and only the last
    band open-ended (no `up_to`) — it must be, so that every over-area has a price."""
    problems: list[tuple[str, str]] = []
    if not bands:
        return [("bands", _("超面积价格至少要有一档。"))]
    previous = ZERO
    for number, band in enumerate(bands, start=1):
        prefix = f"bands[{number}]"
        if band.price is None or band.price < 0:
            problems.append((f"{prefix}.price", _("第%(n)d档的价格不能小于0。") % {"n": number}))
        last = number == len(bands)
        if band.up_to is None:
            if not last:
                problems.append(
                    (
                        f"{prefix}.up_to",
                        _("只有最后一档可以不设上限,第%(n)d档必须填写上限。") % {"n": number},
                    )
                )
            continue
        if last:
            problems.append(
                (
                    f"{prefix}.up_to",
                    _("最后一档不能设上限(超出前一档的面积都按最后一档计价)。"),
                )
            )
        if band.up_to <= previous:
            problems.append(
                (
                    f"{prefix}.up_to",
                    _("第%(n)d档的上限 %(u)s ㎡ 必须大于前一档的上限 %(p)s ㎡。")
                    % {"n": number, "u": band.up_to, "p": previous},
                )
            )
        else:
            previous = band.up_to
    return problems


def split_over_area(
    over: Decimal, bands: Sequence[BandInput]
) -> list[tuple[int, Decimal, BandInput]]:
    """The over-area split into the bands: (band number, ㎡ in it, band), empty bands left
    out. Precondition: `band_problems(bands)` is empty."""
    parts = []
    lower = ZERO
    for number, band in enumerate(bands, start=1):
        if over <= lower:
            break
        upper = over if band.up_to is None else min(over, band.up_to)
        parts.append((number, area(upper - lower), band))
        if band.up_to is None:
            break
        lower = band.up_to
    return parts


# -- the temporary relocation subsidy ----------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved on by `months` calendar months; a day the month lacks becomes its last
    (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def subsidy_months(moved_out_on: dt.date, until: dt.date) -> int:
    """Months of temporary relocation from `moved_out_on` to `until`: the smallest number of
    whole calendar months that, added to the moving-out day, reaches or passes `until` — a
    started month counts as a full month. 0 when `until` is not after the moving-out day.

    E.g. 20 Nov 2025 → 20 Jan 2026: 2 months; → 21 Jan 2026: 3 months."""
    if until <= moved_out_on:
        return 0
    months = (until.year - moved_out_on.year) * 12 + (until.month - moved_out_on.month)
    # `months` is within one of the answer: step down while a smaller count already reaches.
    months = max(months, 0)
    while months > 0 and add_months(moved_out_on, months - 1) >= until:
        months -= 1
    while add_months(moved_out_on, months) < until:
        months += 1
    return months


def month_of(day: dt.date) -> dt.date:
    """The first day of `day`'s calendar month: how a subsidy month is stored."""
    return day.replace(day=1)


def month_starts(moved_out_on: dt.date, count: int) -> list[dt.date]:
    """The first days of the household's first `count` subsidy months: month k (1-based)
    starts on the moving-out day + (k − 1) months. Each starts in its own calendar month, so
    a subsidy month is named by the calendar month it starts in (`month_of`)."""
    return [add_months(moved_out_on, k) for k in range(count)]


def promised_return(
    moved_out_on: dt.date, promised_by: dt.date | None, transition_months: int
) -> dt.date:
    """The promised return day: the recorded one, else moving out + the policy's months."""
    return promised_by if promised_by is not None else add_months(moved_out_on, transition_months)


def statement_subsidy_starts(record: Mapping) -> list[dt.date]:
    """The first days of the subsidy months a statement's subsidy line counts, read from the
    inputs written on the statement (`StatementInputs.as_record`): the months from moving out
    to `subsidy_until`, less those runs held when it was computed. Used by the runs (never
    pay them again) and the overdue ledger (paid once the statement is settled)."""
    moved, until = record.get("moved_out_on"), record.get("subsidy_until")
    if not moved or not until:
        return []
    moved_out_on, until_day = dt.date.fromisoformat(moved), dt.date.fromisoformat(until)
    held = {dt.date.fromisoformat(m) for m in record.get("subsidy_paid_months", [])}
    count = subsidy_months(moved_out_on, until_day)
    return [s for s in month_starts(moved_out_on, count) if month_of(s) not in held]


def subsidy_factor(starts: Sequence[dt.date], overdue_from: dt.date | None, multiplier: Decimal):
    """(months, overdue months, factor): the months of `starts`, those starting on or after
    `overdue_from`, and the number the monthly amount is multiplied by (a normal month 1, an
    overdue one `multiplier`)."""
    overdue = sum(1 for s in starts if overdue_from is not None and s >= overdue_from)
    return len(starts), overdue, Decimal(len(starts) - overdue) + Decimal(overdue) * multiplier


# -- the lines ---------------------------------------------------------------------------------


def _line(side: str, rule: str, label: str, amount: Decimal, **inputs) -> LineSpec:
    return LineSpec(
        side=side,
        rule=rule,
        label=label,
        amount=money(amount),
        inputs={k: (v if isinstance(v, int) else _text(v)) for k, v in inputs.items()},
    )


def _area_line(
    side: str, rule: str, label: str, area_: Decimal, price: Decimal, **inputs
) -> LineSpec:
    """A line priced by area: `area_` ㎡ at `price` a ㎡, both kept among its inputs."""
    return _line(side, rule, label, area_ * price, area=area_, price=price, **inputs)


class MissingPrice(ValueError):
    """The inputs need a price the project has not set (e.g. over-area without bands)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def statement_lines(inputs: StatementInputs) -> list[LineSpec]:
    """Every line of the household's statement, incomes first, in the order of
    docs/settlement.md; lines whose amount is 0 are left out. Labels are written in the
    system's language whoever computes (pages and the PDF name a line from its rule in the
    reader's language: settlement.wording)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _statement_lines(inputs)


def _statement_lines(inputs: StatementInputs) -> list[LineSpec]:
    p = inputs.prices
    income: list[LineSpec] = []
    expenditure: list[LineSpec] = []

    demolished = area(inputs.demolished_area)
    if demolished > 0:
        income.append(
            _area_line(
                INCOME,
                "demolition",
                _("被拆迁房屋补偿"),
                demolished,
                p.demolition_price,
            )
        )

    entitlement = area(inputs.entitlement_area)
    if inputs.outcome == MONETISED:
        income.append(
            _area_line(
                INCOME,
                "monetised",
                _("货币化安置(房票)"),
                entitlement,
                p.monetised_price,
            )
        )
    else:
        income_apt, expenditure_apt = _apartment_lines(entitlement, inputs.apartments, p)
        income += income_apt
        expenditure += expenditure_apt

    if inputs.moved_out_on is not None and inputs.subsidy_until is not None:
        all_months = subsidy_months(inputs.moved_out_on, inputs.subsidy_until)
        paid = set(inputs.paid_months)
        starts = [
            s for s in month_starts(inputs.moved_out_on, all_months) if month_of(s) not in paid
        ]
        months, overdue, factor = subsidy_factor(
            starts, inputs.overdue_from, inputs.overdue_multiplier
        )
        extra: dict = {}
        if len(starts) != all_months:
            extra.update(all_months=all_months, paid_months=all_months - len(starts))
        if overdue:
            extra.update(overdue_months=overdue, multiplier=inputs.overdue_multiplier)
        if p.subsidy_basis == AREA:
            basis = {"area": demolished}
            quantity = demolished
            label = _("临时安置补助费(按被拆迁面积)")
        else:
            basis = {"persons": inputs.population}
            quantity = Decimal(inputs.population)
            label = _("临时安置补助费(按安置人口)")
        income.append(
            _line(
                INCOME,
                "transition_subsidy",
                label,
                p.subsidy_rate * quantity * factor,
                rate=p.subsidy_rate,
                **basis,
                months=months,
                moved_out_on=inputs.moved_out_on,
                until=inputs.subsidy_until,
                **extra,
            )
        )

    for adjustment in inputs.adjustments:
        if adjustment.kind == REWARD:
            income.append(
                _line(
                    INCOME,
                    "reward",
                    _("奖励:%(r)s") % {"r": adjustment.reason},
                    adjustment.amount,
                    reason=adjustment.reason,
                )
            )
        else:
            expenditure.append(
                _line(
                    EXPENDITURE,
                    "deduction",
                    _("扣减:%(r)s") % {"r": adjustment.reason},
                    adjustment.amount,
                    reason=adjustment.reason,
                )
            )
    return [line for line in income + expenditure if line.amount > 0]


def _apartment_lines(
    entitlement: Decimal, apartments: Sequence[ApartmentInput], p: Prices
) -> tuple[list[LineSpec], list[LineSpec]]:
    income: list[LineSpec] = []
    expenditure: list[LineSpec] = []
    total = area(sum((a.area for a in apartments), ZERO))
    within = min(total, entitlement)
    expenditure.append(
        _area_line(
            EXPENDITURE,
            "within_entitlement",
            _("应安置面积内购房款"),
            within,
            p.base_price,
            apartment_area=total,
            entitlement_area=entitlement,
        )
    )
    if total < entitlement:
        unused = entitlement - total
        income.append(
            _area_line(
                INCOME,
                "unused_entitlement",
                _("未用安置面积补偿"),
                unused,
                p.unused_area_price,
            )
        )
    elif total > entitlement:
        over = total - entitlement
        if not p.bands:
            raise MissingPrice("bands", _("安置面积超出应安置面积,但项目尚未设置超面积价格。"))
        lower = ZERO
        for number, part, band in split_over_area(over, p.bands):
            expenditure.append(
                _area_line(
                    EXPENDITURE,
                    f"over_area_band_{number}",
                    _("超面积购房款(第%(n)d档)") % {"n": number},
                    part,
                    band.price,
                    band_from=area(lower),
                    band_to=band.up_to,
                )
            )
            lower = band.up_to if band.up_to is not None else lower
    for apartment in apartments:
        coefficient = p.tier_coefficients.get(apartment.tier, ONE)
        if coefficient == ONE:
            continue
        side = EXPENDITURE if coefficient > ONE else INCOME
        line = _line(
            side,
            "tier_difference",
            _("楼层差价 %(code)s(%(tier)s档)") % {"code": apartment.code, "tier": apartment.tier},
            abs(area(apartment.area) * p.base_price * (coefficient - ONE)),
            apartment=apartment.code,
            area=area(apartment.area),
            price=p.base_price,
            tier=apartment.tier,
            coefficient=coefficient,
        )
        (expenditure if side == EXPENDITURE else income).append(line)
    return income, expenditure


# -- amounts in Chinese capital numerals (大写金额) --------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿")


def _section(number: int) -> str:
    """0 < number < 10000 in capitals; inner zero runs become one 零, trailing zeros none."""
    text = ""
    zero = False
    for place in range(3, -1, -1):
        digit = number // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _PLACES[place]
    return text


def amount_in_words(amount: Decimal) -> str:
    """An amount of money (≥ 0, below 1 万亿) in Chinese capital numerals, as written on
    cheques and statements (中国人民银行《支付结算办法》): “壹拾元整”, “伍分”,
    “壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分”, “壹万陆仟肆佰零玖元零贰分”.

    整 follows 元 when there are no 角 and 分; nothing follows 角 or 分. A 0 in the
    角 place before a non-zero 分 is written 零 (after a non-zero 元 part). Amounts below
    one 元 have no 元 part (“伍角”); 0 is “零元整”. Rounded to 0.01 元 first (half up)."""
    amount = money(Decimal(amount))
    if amount < 0:
        raise ValueError("amount_in_words takes amounts ≥ 0")
    cents = int(amount * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if yuan >= 10**12:
        raise ValueError("amount_in_words takes amounts below 1 万亿")
    if cents == 0:
        return "零元整"
    text = ""
    if yuan:
        sections = []
        number = yuan
        while number:
            number, section = divmod(number, 10000)
            sections.append(section)
        gap = False
        for index in range(len(sections) - 1, -1, -1):
            section = sections[index]
            if section == 0:
                gap = bool(text)
                continue
            # A section below 1000 after a higher one (or after an empty one) starts with 零.
            if text and (gap or section < 1000):
                text += "零"
            gap = False
            text += _section(section) + _SECTIONS[index]
        text += "元"
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text
