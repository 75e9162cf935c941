"""The weekly ranking of working teams: points are the stages their households reached in
the ISO week (each stage only the first time), ties broken by the signed-agreement share."""

from __future__ import annotations

import datetime as dt

import pytest

from bench._progress_setup import Spec, spread
from oversight.selectors.dashboard import IsoWeek, team_ranking

WEEK = IsoWeek(2025, 11)  # Monday 10 March – Sunday 16 March 2025
WEDNESDAY = dt.date(2025, 3, 12)
TUESDAY = dt.date(2025, 3, 11)
EARLIER = dt.date(2025, 3, 3)


@pytest.fixture
def project(build):
    return build(
        "RANK",
        [
            # T1: two households approved, published, drawn and signed this week: 2 × 4.
            Spec("signed", team=0, on=WEDNESDAY),
            Spec("signed", team=0, on=WEDNESDAY),
            # T2: one household through every stage this week: 7.
            Spec("moved_in", team=1, on=TUESDAY),
            # T3: everything done the week before: 0 points, but 100% signed.
            Spec("moved_in", team=2, on=EARLIER),
            # T4: only registered: 0 points, 0% signed.
            Spec("registered", team=3, on=WEDNESDAY),
        ],
        teams=4,
    )


def test_teams_rank_by_stages_reached_this_week(project):
    ranking = team_ranking(project, WEEK)
    assert [(r.code, r.points, r.rank) for r in ranking] == [
        ("T1", 8, 1),
        ("T2", 7, 2),
        ("T3", 0, 3),
        ("T4", 0, 4),
    ]
    t1, t2 = ranking[0], ranking[1]
    assert t1.events == {
        "qualified": 2,
        "published": 2,
        "drawn": 2,
        "signed": 2,
        "settled": 0,
        "handed_over": 0,
        "moved_in": 0,
    }
    assert t2.events["moved_in"] == 1 and t2.events["settled"] == 1
    assert [r.signed_share for r in ranking] == [100, 100, 100, 0]


def test_a_stage_reached_earlier_does_not_score_again(project):
    # T3's household was published the week before; this week's publications (for T1 and
    # T2) cover it too, but it is not published "again".
    t3 = next(r for r in team_ranking(project, WEEK) if r.code == "T3")
    assert t3.events["published"] == 0
    assert t3.points == 0


def test_the_week_before_scores_the_earlier_team(project):
    ranking = team_ranking(project, WEEK.shifted(-1))
    assert ranking[0].code == "T3"
    assert ranking[0].points == 7
    assert all(r.points == 0 for r in ranking[1:])


def test_equal_points_and_share_share_a_rank(build):
    project = build(
        "TIE", [Spec("signed", team=0), Spec("signed", team=1), Spec("qualified", team=2)]
    )
    ranking = team_ranking(project, IsoWeek.of(Spec("signed").on))
    assert [(r.code, r.rank) for r in ranking] == [("T1", 1), ("T2", 1), ("T3", 3)]


def test_iso_weeks_across_a_year_end():
    week = IsoWeek.parse("2026-W01")
    assert week.monday == dt.date(2025, 12, 29)
    assert week.sunday == dt.date(2026, 1, 4)
    assert IsoWeek.of(dt.date(2025, 12, 31)) == week
    assert str(week.shifted(-1)) == "2025-W52"
    assert IsoWeek.parse("2025-W99") is None
    assert IsoWeek.parse("last week") is None


def test_ranking_queries_do_not_grow_with_households(build, django_assert_num_queries):
    small = build("SMALL", spread(9, groups=4, teams=3))
    large = build("LARGE", spread(150, groups=4, teams=3))
    for project in (small, large):
        with django_assert_num_queries(2):
            ranking = team_ranking(project, IsoWeek.of(dt.date(2025, 3, 3)))
        assert sum(r.households for r in ranking) > 0
