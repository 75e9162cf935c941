"""The worked examples of docs/tickets.md, on the pure arithmetic (tickets.calculation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from tickets import calculation as c

XIAMEN = [{"up_to_month": 12, "percent": "5"}, {"up_to_month": 24, "percent": "2"}]


def test_example_d_with_the_subsidy_excluded():
    lines = [
        c.Line("income", "demolition", D("165000.00")),
        c.Line("income", "monetised", D("500000.00")),
        c.Line("income", "transition_subsidy", D("10500.00")),
        c.Line("income", "reward", D("20000.00")),
        c.Line("expenditure", "deduction", D("1234.56")),
    ]
    split = c.face_value(lines, ["transition_subsidy"])
    assert (split.face_value, split.excluded) == (D("683765.44"), D("10500.00"))
    assert c.expiry_date(dt.date(2026, 3, 15), 24) == dt.date(2028, 3, 15)
    assert c.expiry_date(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


def test_the_months_of_use_and_their_reward():
    issued = dt.date(2026, 1, 10)
    assert c.month_of_use(issued, issued) == 1
    assert c.month_of_use(issued, dt.date(2026, 3, 1)) == 2
    assert c.month_of_use(issued, dt.date(2027, 3, 20)) == 15
    assert c.reward_percent(XIAMEN, 12) == D("5")
    assert c.reward_percent(XIAMEN, 13) == D("2")
    assert c.reward_percent(XIAMEN, 25) == D("0")


def test_a_purchase_splits_into_face_used_and_reward():
    assert c.split_use(D("10500.00"), D("30000.00"), D("5")) == c.Use(
        D("10500.00"), D("10000.00"), D("500.00")
    )
    assert c.usable_value(D("20000.00"), D("2")) == D("20400.00")
    whole = c.split_use(D("20400.00"), D("20000.00"), D("2"))
    assert (whole.face_used, whole.reward) == (D("20000.00"), D("400.00"))
    # A cent-odd amount: face rounded half up, the reward the rest, never beyond the balance.
    odd = c.split_use(D("0.03"), D("0.02"), D("5"))
    assert odd.face_used + odd.reward == D("0.03") and odd.face_used <= D("0.02")


def test_the_buy_back_rule():
    terms = {
        "face": D("30000.00"),
        "small_balance_percent": D("5"),
        "small_balance_rate": D("100"),
        "buy_back_rate": D("90"),
    }
    small = c.buy_back(balance=D("1500.00"), **terms)
    large = c.buy_back(balance=D("10000.00"), **terms)
    assert (small.amount_paid, small.forfeited) == (D("1500.00"), D("0.00"))
    assert (large.amount_paid, large.forfeited) == (D("9000.00"), D("1000.00"))
    assert c.forfeit(D("30000.00")).forfeited == D("30000.00")


def test_reward_tiers_are_checked():
    assert c.tier_problems(XIAMEN) == []
    assert c.tier_problems([{"up_to_month": 12}]) == ["malformed"]
    assert "percent_out_of_range" in c.tier_problems([{"up_to_month": 1, "percent": "101"}])
