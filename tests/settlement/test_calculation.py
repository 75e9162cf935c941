"""The statement arithmetic against the hand-worked examples of docs/settlement.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from settlement.calculation import (
    AdjustmentInput,
    ApartmentInput,
    BandInput,
    Prices,
    StatementInputs,
    amount_in_words,
    band_problems,
    money,
    statement_lines,
    subsidy_months,
    totals,
)

PRICES = Prices(
    base_price=D("3000.00"),
    unused_area_price=D("2000.00"),
    demolition_price=D("1500.00"),
    monetised_price=D("5000.00"),
    tier_coefficients={"A": D("1.0200"), "B": D("1.0100"), "C": D("0.9800")},
    subsidy_basis="persons",
    subsidy_rate=D("500.00"),
    bands=(BandInput(D("10.00"), D("4500.00")), BandInput(None, D("6000.00"))),
)


def table(lines):
    return [(line.side, line.rule, line.amount) for line in lines]


def test_example_a_within_entitlement():
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("90.00"),
            population=3,
            demolished_area=D("120.00"),
            outcome="apartment",
            prices=PRICES,
            apartments=(ApartmentInput("E1-1-1-301", D("90.00"), "A", "T90"),),
            moved_out_on=dt.date(2025, 11, 20),
            subsidy_until=dt.date(2026, 5, 20),
        )
    )
    assert table(lines) == [
        ("income", "demolition", D("180000.00")),
        ("income", "transition_subsidy", D("9000.00")),
        ("expenditure", "within_entitlement", D("270000.00")),
        ("expenditure", "tier_difference", D("5400.00")),
    ]
    t = totals(lines)
    assert (t.income, t.expenditure, t.net) == (D("189000.00"), D("275400.00"), D("-86400.00"))
    assert amount_in_words(-t.net) == "捌万陆仟肆佰元整"
    subsidy = lines[1]
    assert subsidy.inputs == {
        "rate": "500.00",
        "persons": 3,
        "months": 6,
        "moved_out_on": "2025-11-20",
        "until": "2026-05-20",
    }


def test_example_b_over_entitlement_in_two_bands_with_tiers_across_the_year_end():
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("100.00"),
            population=4,
            demolished_area=D("135.50"),
            outcome="apartment",
            prices=PRICES,
            apartments=(
                ApartmentInput("E1-2-1-101", D("58.63"), "C", "T60"),
                ApartmentInput("E1-2-2-501", D("63.59"), "B", "T60"),
            ),
            moved_out_on=dt.date(2025, 12, 15),
            subsidy_until=dt.date(2026, 1, 10),
        )
    )
    assert table(lines) == [
        ("income", "demolition", D("203250.00")),
        ("income", "tier_difference", D("3517.80")),
        ("income", "transition_subsidy", D("2000.00")),
        ("expenditure", "within_entitlement", D("300000.00")),
        ("expenditure", "over_area_band_1", D("45000.00")),
        ("expenditure", "over_area_band_2", D("73320.00")),
        ("expenditure", "tier_difference", D("1907.70")),
    ]
    t = totals(lines)
    assert (t.income, t.expenditure, t.net) == (D("208767.80"), D("420227.70"), D("-211459.90"))
    band_1, band_2 = lines[4], lines[5]
    assert (band_1.inputs["area"], band_1.inputs["price"]) == ("10.00", "4500.00")
    assert (band_2.inputs["area"], band_2.inputs["band_from"]) == ("12.22", "10.00")
    assert lines[1].inputs["coefficient"] == "0.9800"


def test_example_c_under_entitlement_in_a_leap_february():
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("120.00"),
            population=5,
            demolished_area=D("160.00"),
            outcome="apartment",
            prices=PRICES,
            apartments=(ApartmentInput("E1-1-1-301", D("90.37"), "A", "T90"),),
            moved_out_on=dt.date(2024, 1, 31),
            subsidy_until=dt.date(2024, 2, 29),
        )
    )
    assert table(lines) == [
        ("income", "demolition", D("240000.00")),
        ("income", "unused_entitlement", D("59260.00")),
        ("income", "transition_subsidy", D("2500.00")),
        ("expenditure", "within_entitlement", D("271110.00")),
        ("expenditure", "tier_difference", D("5422.20")),
    ]
    t = totals(lines)
    assert (t.income, t.expenditure, t.net) == (D("301760.00"), D("276532.20"), D("25227.80"))
    assert lines[1].inputs["area"] == "29.63"
    assert amount_in_words(t.net) == "贰万伍仟贰佰贰拾柒元捌角"


def test_example_d_monetised_with_reward_and_deduction():
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("100.00"),
            population=3,
            demolished_area=D("110.00"),
            outcome="monetised",
            prices=PRICES,
            moved_out_on=dt.date(2025, 3, 10),
            subsidy_until=dt.date(2025, 9, 11),
            adjustments=(
                AdjustmentInput("reward", D("20000.00"), "提前搬迁奖励"),
                AdjustmentInput("deduction", D("1234.56"), "代扣水电费"),
            ),
        )
    )
    assert table(lines) == [
        ("income", "demolition", D("165000.00")),
        ("income", "monetised", D("500000.00")),
        ("income", "transition_subsidy", D("10500.00")),
        ("income", "reward", D("20000.00")),
        ("expenditure", "deduction", D("1234.56")),
    ]
    t = totals(lines)
    assert (t.income, t.expenditure, t.net) == (D("695500.00"), D("1234.56"), D("694265.44"))
    assert lines[3].label == "奖励:提前搬迁奖励"
    assert amount_in_words(t.net) == "陆拾玖万肆仟贰佰陆拾伍元肆角肆分"


def area_basis(rate: str) -> Prices:
    return dataclasses.replace(PRICES, subsidy_basis="area", subsidy_rate=D(rate))


def subsidy_line(prices, demolished, moved_out_on, until):
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("0"),
            population=2,
            demolished_area=D(demolished),
            outcome="monetised",
            prices=prices,
            moved_out_on=moved_out_on,
            subsidy_until=until,
        )
    )
    return next(line for line in lines if line.rule == "transition_subsidy")


def test_example_e_subsidy_by_area():
    line = subsidy_line(area_basis("12.35"), "135.55", dt.date(2025, 1, 1), dt.date(2025, 8, 1))
    assert line.inputs["months"] == 7
    assert line.inputs["area"] == "135.55"
    assert line.amount == D("11718.30")


def test_example_f_rounds_half_up_not_to_even():
    line = subsidy_line(area_basis("10.01"), "100.50", dt.date(2025, 12, 31), dt.date(2026, 1, 1))
    assert line.amount == D("1006.01")
    assert money(D("0.125")) == D("0.13")
    assert money(D("2.675")) == D("2.68")


@pytest.mark.parametrize(
    ("moved_out", "until", "months"),
    [
        ((2025, 11, 20), (2026, 1, 20), 2),
        ((2025, 11, 20), (2026, 1, 21), 3),
        ((2025, 12, 15), (2026, 1, 10), 1),
        ((2025, 12, 31), (2026, 1, 1), 1),
        ((2023, 12, 1), (2025, 1, 1), 13),
        ((2024, 1, 31), (2024, 2, 29), 1),
        ((2024, 1, 31), (2024, 3, 1), 2),
        ((2023, 1, 31), (2023, 2, 28), 1),
        ((2023, 1, 31), (2023, 3, 1), 2),
        ((2024, 2, 29), (2025, 2, 28), 12),
        ((2024, 2, 29), (2025, 3, 1), 13),
        ((2025, 5, 5), (2025, 5, 5), 0),
        ((2025, 5, 5), (2025, 4, 5), 0),
    ],
)
def test_subsidy_months_as_documented(moved_out, until, months):
    assert subsidy_months(dt.date(*moved_out), dt.date(*until)) == months


def test_no_subsidy_line_without_months_or_transition():
    common = {
        "entitlement_area": D("100.00"),
        "population": 3,
        "demolished_area": D("0"),
        "outcome": "monetised",
        "prices": PRICES,
    }
    assert table(statement_lines(StatementInputs(**common))) == [
        ("income", "monetised", D("500000.00"))
    ]
    same_day = StatementInputs(
        **common, moved_out_on=dt.date(2025, 5, 5), subsidy_until=dt.date(2025, 5, 5)
    )
    assert [line.rule for line in statement_lines(same_day)] == ["monetised"]


def test_over_area_in_the_first_band_only_and_exactly_at_its_limit():
    def over(total):
        lines = statement_lines(
            StatementInputs(
                entitlement_area=D("90.00"),
                population=1,
                demolished_area=D("0"),
                outcome="apartment",
                prices=dataclasses.replace(PRICES, tier_coefficients={}),
                apartments=(ApartmentInput("X", D(total), "A", "T90"),),
            )
        )
        return table(lines)

    assert over("95.50") == [
        ("expenditure", "within_entitlement", D("270000.00")),
        ("expenditure", "over_area_band_1", D("24750.00")),
    ]
    assert over("100.00")[-1] == ("expenditure", "over_area_band_1", D("45000.00"))
    assert over("100.01")[-1] == ("expenditure", "over_area_band_2", D("60.00"))


def test_three_bands():
    prices = dataclasses.replace(
        PRICES,
        tier_coefficients={},
        bands=(
            BandInput(D("5.00"), D("4000.00")),
            BandInput(D("15.00"), D("5000.00")),
            BandInput(None, D("7000.00")),
        ),
    )
    lines = statement_lines(
        StatementInputs(
            entitlement_area=D("60.00"),
            population=1,
            demolished_area=D("0"),
            outcome="apartment",
            prices=prices,
            apartments=(ApartmentInput("X", D("80.25"), "A", "T90"),),
        )
    )
    assert table(lines)[1:] == [
        ("expenditure", "over_area_band_1", D("20000.00")),
        ("expenditure", "over_area_band_2", D("50000.00")),
        ("expenditure", "over_area_band_3", D("36750.00")),
    ]


@pytest.mark.parametrize(
    ("bands", "fields"),
    [
        ([], ["bands"]),
        ([(None, "100")], []),
        ([("10", "1"), (None, "2")], []),
        ([("10", "1")], ["bands[1].up_to"]),
        ([(None, "1"), (None, "2")], ["bands[1].up_to"]),
        ([("10", "1"), ("10", "2"), (None, "3")], ["bands[2].up_to"]),
        ([("10", "1"), ("5", "2"), (None, "3")], ["bands[2].up_to"]),
        ([("10", "-1"), (None, "2")], ["bands[1].price"]),
    ],
)
def test_band_problems_name_the_field(bands, fields):
    made = [BandInput(None if u is None else D(u), D(p)) for u, p in bands]
    assert [f for f, _message in band_problems(made)] == fields


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0.55", "伍角伍分"),
        ("1", "壹元整"),
        ("10.00", "壹拾元整"),
        ("10.10", "壹拾元壹角"),
        ("110", "壹佰壹拾元整"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1010.01", "壹仟零壹拾元零壹分"),
        ("1001", "壹仟零壹元整"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("100000.00", "壹拾万元整"),
        ("100500", "壹拾万零伍佰元整"),
        ("105000", "壹拾万伍仟元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("20000000", "贰仟万元整"),
        ("100000001", "壹亿零壹元整"),
        ("100005000", "壹亿零伍仟元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_chinese_capitals(amount, words):
    assert amount_in_words(D(amount)) == words


def test_amount_in_words_refuses_negative_and_too_large():
    with pytest.raises(ValueError):
        amount_in_words(D("-1"))
    with pytest.raises(ValueError):
        amount_in_words(D("1000000000000"))
