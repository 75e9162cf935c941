"""Two operators clicking at once never produce two draws for one position, and one
apartment never goes to two households: 50 simultaneous requests, exactly one succeeds,
the others get a clean refusal (row lock on the session, constraints behind it).

These need real concurrent transactions: PostgreSQL (CI runs it). SQLite serialises every
write on one file lock, so the race cannot even be set up there.
"""

from __future__ import annotations

from collections import Counter

import pytest

from households.models import Household
from lottery.models import Allocation, Reveal
from lottery.selectors.draws import call_order, scheme_for
from lottery.selectors.sessions import session_state
from lottery.services.draws import lottery_draw_next, lottery_draw_remaining, lottery_pick
from tests.races import at_once, needs_postgresql

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 50


def race(call) -> Counter:
    """Run `call` in THREADS threads released at once; count outcomes by result code."""
    return Counter(outcome for outcome, _result in at_once([call] * THREADS))


def test_fifty_simultaneous_draws_of_one_position_reveal_it_once(drawing_session, operator):
    lottery_draw_next(actor=operator, session=drawing_session, expected_position=1)
    outcomes = race(
        lambda: lottery_draw_next(actor=operator, session=drawing_session, expected_position=2)
    )
    assert outcomes == Counter({"ok": 1, "already_drawn": THREADS - 1})
    assert Reveal.objects.filter(session=drawing_session).count() == 2
    assert Reveal.objects.filter(session=drawing_session, position=2).count() == 1


def test_fifty_simultaneous_household_draws_allocate_once(drawing_session, operator):
    order = call_order(drawing_session)
    first_household = next(i for i in order if i.level == "household")
    for item in order[: first_household.position - 1]:
        lottery_draw_next(actor=operator, session=drawing_session, expected_position=item.position)
    outcomes = race(
        lambda: lottery_draw_next(
            actor=operator, session=drawing_session, expected_position=first_household.position
        )
    )
    assert outcomes == Counter({"ok": 1, "already_drawn": THREADS - 1})
    scheme = scheme_for(drawing_session)
    assert Allocation.objects.filter(session=drawing_session).count() == len(
        scheme.allocation[first_household.participant]
    )


def test_fifty_simultaneous_picks_of_one_apartment_allocate_it_once(choose_session, operator):
    lottery_draw_remaining(actor=operator, session=choose_session)
    choose_session.refresh_from_db()
    picker = session_state(choose_session, public=False)["next_picker"]
    household = Household.objects.get(code=picker["household"])
    wanted, codes = dict(picker["demand"]), []
    for apartment in picker["free_apartments"]:
        if wanted.get(apartment["type"], 0) > 0:
            wanted[apartment["type"]] -= 1
            codes.append(apartment["code"])
    outcomes = race(
        lambda: lottery_pick(
            actor=operator,
            session=choose_session,
            household=household,
            apartment_codes=codes,
            expected_sequence=picker["sequence"],
        )
    )
    assert outcomes == Counter({"ok": 1, "already_picked": THREADS - 1})
    for code in codes:
        assert Allocation.objects.filter(apartment__code=code).count() == 1
