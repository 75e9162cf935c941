"""The lottery's publicity kinds (房屋走向/房到村、包到组、摇号结果), published through the
publicity services from a signed session: the rows follow the draw, heads' names are masked,
and rehearsals or unsigned sessions publish nothing."""

from __future__ import annotations

from households.models import Member, Relation
from lottery import algorithm
from lottery.models import Allocation
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from publicity.services import publications
from resettlement import publicity_kinds
from resettlement.masking import Mask, mask
from tests.lottery.factories import create_session, pick_all, start_drawing
from tests.publicity.factories import drafter


def _publish(leader, project, kind, community=None):
    draft = publications.publication_create(
        actor=drafter(), project=project, kind=kind, community=community
    )
    return publications.publication_publish(actor=leader, publication=draft)


def _rows(publication) -> list[dict[str, str]]:
    return [dict(zip(publication.columns, row, strict=True)) for row in publication.rows]


def _village(session) -> list[str]:
    return next(s for s in session.steps if s["label"] == "village")["order"]


def test_the_three_kinds_are_registered_with_community_and_household_columns():
    for code in ("orientation", "group_packages", "lottery_results"):
        kind = publicity_kinds.get(code)
        assert "community" in [column.key for column in kind.columns]
    results = publicity_kinds.get("lottery_results")
    assert {c.key: c.mask for c in results.columns}["head"] is Mask.NAME


def test_orientation_lists_communities_along_the_estate_with_their_shares(
    signed_session, leader, lottery_project
):
    publication = _publish(leader, lottery_project.project, "orientation")
    rows = _rows(publication)
    names = {c.code: c.name for c in lottery_project.communities}
    assert [row["村/社区"] for row in rows] == [names[c] for c in _village(signed_session)]
    assert [row["走向顺序"] for row in rows] == ["1", "2"]
    assert all(row["场次"] == signed_session.code and row["顺序来源"] == "摇号产生" for row in rows)
    # each community takes what its households asked for: 2 × T60, 4 × T90, 2 × T120
    assert [row["户型及套数"] for row in rows] == ["T120×2、T60×2、T90×4"] * 2
    assert sum(int(row["套数"]) for row in rows) == Allocation.objects.count() == 16
    first = rows[0]["楼栋"].split("、")
    assert first[0] == "1"  # the first community starts at the first building


def test_group_packages_show_each_groups_order_and_its_abc_packages(
    signed_session, leader, lottery_project
):
    publication = _publish(leader, lottery_project.project, "group_packages")
    rows = _rows(publication)
    assert len(rows) == 12  # direct mode: one package per household
    groups = {g.code: g.name for g in lottery_project.groups}
    expected = [
        groups[g]
        for c in _village(signed_session)
        for g in next(s for s in signed_session.steps if s["label"] == f"group/{c}")["order"]
    ]
    assert list(dict.fromkeys(row["村民小组"] for row in rows)) == expected
    assert [row["组序"] for row in rows[:3]] == ["1", "1", "1"]
    # every package is exactly what one household of the group was given
    given = {}
    for allocation in Allocation.objects.select_related("apartment", "household__group"):
        given.setdefault(allocation.household.code, []).append(
            f"{allocation.apartment.code}({allocation.apartment.tier})"
        )
    packages = sorted("、".join(sorted(row["包内房号(档次)"].split("、"))) for row in rows)
    assert packages == sorted("、".join(sorted(codes)) for codes in given.values())
    assert all(row["房源包"].startswith("第") and "分" in row["档次"] for row in rows)


def test_lottery_results_list_every_household_with_masked_head_and_apartments(
    signed_session, leader, lottery_project
):
    publication = _publish(leader, lottery_project.project, "lottery_results")
    rows = _rows(publication)
    assert len(rows) == 12
    assert publication.columns == [
        "场次",
        "户编号",
        "户主",
        "村/社区",
        "村民小组",
        "摇号顺序",
        "房号",
        "建筑面积(㎡)",
        "户型",
        "代摇",
    ]
    heads = dict(
        Member.objects.filter(relation=Relation.HEAD).values_list("household__code", "name")
    )
    for row in rows:
        full = heads[row["户编号"]]
        assert row["户主"] == mask(full, Mask.NAME) and row["户主"] != full
        codes = sorted(
            Allocation.objects.filter(household__code=row["户编号"]).values_list(
                "apartment__code", flat=True
            )
        )
        assert row["房号"].split("、") == codes
        assert row["代摇"] == "代摇"  # nobody checked in in the fixture
        assert row["摇号顺序"] in {"1", "2", "3"}
    # in call order: the first village's households come first
    names = {c.code: c.name for c in lottery_project.communities}
    assert rows[0]["村/社区"] == names[_village(signed_session)[0]]


def test_a_community_publication_holds_only_that_community(signed_session, leader, lottery_project):
    community = lottery_project.communities[1]
    for kind in ("orientation", "group_packages", "lottery_results"):
        publication = _publish(leader, lottery_project.project, kind, community)
        assert publication.row_count > 0
        assert {row["村/社区"] for row in _rows(publication)} == {community.name}


def test_without_a_signed_session_there_is_nothing_to_publish(
    drawing_session, operator, leader, notary, lottery_project
):
    lottery_draw_remaining(actor=operator, session=drawing_session)  # drawn, unsigned
    for kind in ("orientation", "group_packages", "lottery_results"):
        assert _publish(leader, lottery_project.project, kind).row_count == 0


def test_a_signed_rehearsal_is_never_published(lottery_project, leader, notary, operator):
    rehearsal = start_drawing(
        create_session(lottery_project, leader, code="R1", rehearsal=True), notary
    )
    lottery_draw_remaining(actor=operator, session=rehearsal)
    lottery_session_sign_off(actor=notary, session=rehearsal, witnesses="演练见证人")
    for kind in ("orientation", "group_packages", "lottery_results"):
        assert _publish(leader, lottery_project.project, kind).row_count == 0


def test_order_then_choose_publishes_group_shares_without_packages(
    choose_session, operator, notary, leader, lottery_project
):
    lottery_draw_remaining(actor=operator, session=choose_session)
    pick_all(choose_session, operator)
    lottery_session_sign_off(actor=notary, session=choose_session, witnesses="王某")
    rows = _rows(_publish(leader, lottery_project.project, "group_packages"))
    assert len(rows) == 4  # one row per group
    assert all(row["房源包"] == "" and row["包内房号(档次)"] == "" for row in rows)
    shares = algorithm.scheme_of(
        choose_session.inventory, choose_session.participants, choose_session.steps, direct=False
    ).group_shares
    assert sum(len(share) for share in shares.values()) == 16
    results = _rows(_publish(leader, lottery_project.project, "lottery_results"))
    assert len(results) == 12
