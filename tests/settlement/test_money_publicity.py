"""Publicity of money (五榜公示, 条例 Art. 29): the per-household compensation results
(分户补偿结果), the rewards (征迁奖励情况) and the work progress (工作进展情况), drafted by one
leader and published by another, frozen, hashed and masked like every publication; only
statements approved through the chain are shown."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Member, Relation
from oversight.selectors.dashboard import project_progress
from publicity.models import Publication, PublicationStatus
from publicity.pdf.rosters import roster_communities, roster_pdf
from publicity.services import publications
from publicity.snapshot import content_hash, frozen_rows, hashed_document
from resettlement import publicity_kinds
from resettlement.masking import Mask, mask
from settlement.models import (
    AdjustmentKind,
    Statement,
    StatementLine,
    StatementStatus,
)
from settlement.services import statements as statement_services
from settlement.services.corrections import correction_open
from tests.households.factories import ProjectFactory
from tests.pdf import pdf_pages, squeezed
from tests.publicity.factories import drafter
from tests.reauth import recently_authenticated
from tests.settlement.factories import (
    approve_through,
    make_household,
    make_statement,
    settle,
    statement_of,
)

pytestmark = pytest.mark.usefixtures("private_media")

MONEY_KINDS = ("compensation_results", "rewards", "progress")


def _publish(leader, project, kind, community=None) -> Publication:
    """Drafted by one leader, published by another (four-eyes)."""
    draft = publications.publication_create(
        actor=drafter(), project=project, kind=kind, community=community
    )
    return publications.publication_publish(actor=leader, publication=draft)


def _rows(publication) -> list[dict[str, str]]:
    return [dict(zip(publication.columns, row, strict=True)) for row in publication.rows]


def _by_household(publication) -> dict[str, dict[str, str]]:
    return {row["户编号"]: row for row in _rows(publication) if row["户编号"]}


def _total(publication) -> dict[str, str]:
    last = _rows(publication)[-1]
    assert last["户编号"] == ""
    return last


def _head(household) -> str:
    return Member.objects.get(household=household, relation=Relation.HEAD).name


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _line_total(statement, rule: str) -> Decimal:
    return sum(
        (line.amount for line in statement.lines.filter(rule=rule)),
        Decimal("0.00"),
    )


# --- the kinds --------------------------------------------------------------------------


def test_the_money_kinds_are_offered_on_the_new_publication_form_by_their_seed_names(
    client, leader, walked
):
    client.force_login(leader)
    page = client.get(
        reverse("publicity_staff:publication-create") + f"?project={walked.project.code}"
    ).content.decode()
    for label in (
        "分户补偿结果公示",
        "征迁奖励情况公示",
        "工作进展情况公示",
        "协议签订情况公示",
        "补偿兑现情况公示",
    ):
        assert label in page
    # The existing kinds keep their codes (publications already frozen with them stay valid).
    assert str(publicity_kinds.get("compensation_paid").label) == "补偿兑现情况公示"
    assert str(publicity_kinds.get("agreements_signed").label) == "协议签订情况公示"


def test_the_per_household_kinds_mask_the_head_and_hold_no_id_phone_or_account():
    for code in ("compensation_results", "rewards"):
        columns = {c.key: c.mask for c in publicity_kinds.get(code).columns}
        assert columns["head"] is Mask.NAME
        assert {"household", "community", "group"} <= set(columns)
    assert publicity_kinds.get("rewards").columns[4].mask is Mask.TEXT
    for code in MONEY_KINDS:
        labels = " ".join(str(c.label) for c in publicity_kinds.get(code).columns)
        for personal in ("身份证", "电话", "手机", "账号", "银行"):
            assert personal not in labels
    progress = {c.key for c in publicity_kinds.get("progress").columns}
    assert "head" not in progress and "household" not in progress


# --- 分户补偿结果 ---------------------------------------------------------------------------


def test_the_compensation_results_of_a_walked_project_show_its_statement_figures(walked, leader):
    statement = statement_of(walked)
    assert statement.status == StatementStatus.SETTLED
    publication = _publish(leader, walked.project, "compensation_results")
    rows = _by_household(publication)
    # The lottery project's other household has no statement: it is not listed.
    assert list(rows) == ["W001"]
    row = rows["W001"]
    assert row["户主"] == mask("李走完", Mask.NAME) == "李**"
    assert row["村/社区"] == walked.community.name and row["村民小组"] == "走访组"
    assert row["安置方式"] == "实物安置"
    apartments = statement.inputs["apartments"]
    assert row["安置房面积(㎡)"] == f"{sum(Decimal(a['area']) for a in apartments):.2f}"
    assert row["被拆迁面积(㎡)"] == f"{Decimal(statement.inputs['demolished_area']):.2f}"
    assert row["房屋补偿(元)"] == _money(_line_total(statement, "demolition"))
    subsidy = _line_total(statement, "transition_subsidy")
    assert subsidy > 0 and row["临时安置补助费(元)"] == _money(subsidy)
    assert row["货币化安置款(元)"] == ""
    assert row["收入合计(元)"] == _money(statement.income_total)
    assert row["支出合计(元)"] == _money(statement.expenditure_total)
    direction = "应付" if statement.net > 0 else "应收"
    assert row["结算金额(元)"] == f"{direction} {_money(abs(statement.net))}"
    total = _total(publication)
    assert total["村/社区"] == "合计" and total["安置方式"] == "1 户"
    assert total["收入合计(元)"] == row["收入合计(元)"]
    assert total["结算金额(元)"] == row["结算金额(元)"]


def test_results_list_approved_and_settled_statements_with_their_totals_not_those_being_approved(
    money, chain, finance_wu, leader
):
    owed = approve_through(statement_of(money.owed), chain)
    assert owed.status == StatementStatus.APPROVED
    settle(money.elsewhere)
    # Two steps of seven: still being approved; the draft one is untouched.
    being_approved = approve_through(statement_of(money.owed_too), chain, steps=2)
    assert being_approved.status == StatementStatus.APPROVING
    publication = _publish(leader, money.project, "compensation_results")
    rows = _by_household(publication)
    assert set(rows) == {"H002", "H101"}
    assert rows["H002"]["安置方式"] == "货币化安置(房票)"
    assert rows["H002"]["被拆迁面积(㎡)"] == "130.00"
    assert rows["H002"]["房屋补偿(元)"] == "130,000.00"
    assert rows["H002"]["安置房面积(㎡)"] == ""
    assert rows["H002"]["货币化安置款(元)"] == "0.00"
    assert rows["H002"]["扣减(元)"] == "100,000.00"
    assert rows["H002"]["收入合计(元)"] == "130,000.00"
    assert rows["H002"]["支出合计(元)"] == "100,000.00"
    assert rows["H002"]["结算金额(元)"] == "应付 30,000.00"
    assert rows["H101"]["结算金额(元)"] == "应付 8,000.00"
    total = _total(publication)
    assert total["安置方式"] == "2 户"
    assert total["被拆迁面积(㎡)"] == "238.00"
    assert total["收入合计(元)"] == "238,000.00"
    assert total["支出合计(元)"] == "200,000.00"
    assert total["结算金额(元)"] == "应付 38,000.00"


def test_a_community_publication_of_results_ends_with_its_total_on_its_own_sheet(
    money, chain, leader
):
    approve_through(statement_of(money.owed), chain)
    community = money.group.community
    publication = _publish(leader, money.project, "compensation_results", community=community)
    rows = _rows(publication)
    assert [(r["户编号"], r["村/社区"], r["村民小组"]) for r in rows] == [
        ("H002", "南宫河村", "第一组"),
        ("", "南宫河村", "合计"),
    ]
    assert rows[-1]["结算金额(元)"] == "应付 30,000.00"
    assert roster_communities(publication) == ["南宫河村"]


def test_a_settled_statement_reopened_by_a_correction_leaves_the_results_until_approved_again(
    money, leader, finance_wu
):
    settle(money.owed)
    correction_open(actor=leader, household=money.owed, reason="被拆迁面积复测有误")
    Household.objects.filter(pk=money.owed.pk).update(demolished_area=Decimal("140.00"))
    statement_services.statement_reopen(household=money.owed, actor=finance_wu)
    reopened = statement_of(money.owed)
    assert reopened.status == StatementStatus.DRAFT and reopened.net == Decimal("40000.00")
    publication = _publish(leader, money.project, "compensation_results")
    assert publication.rows == []
    assert "40,000.00" not in str(publication.rows)


# --- 征迁奖励情况 ---------------------------------------------------------------------------


def _reward(household, finance, amount: str, reason: str) -> None:
    statement_services.adjustment_add(
        actor=finance, household=household, kind=AdjustmentKind.REWARD, amount=amount, reason=reason
    )


def test_rewards_list_each_reward_line_of_approved_statements_with_the_total(
    money, chain, finance_wu, leader
):
    _reward(money.owed, finance_wu, "1500.00", "按期签约腾房奖励")
    _reward(money.owed, finance_wu, "500.00", "提前搬迁奖励")
    _reward(money.elsewhere, finance_wu, "1500.00", "按期签约腾房奖励")
    # A reward on a statement still being approved is not yet published.
    _reward(money.owed_too, finance_wu, "9000.00", "整组签约奖励")
    approve_through(statement_of(money.owed), chain)
    approve_through(statement_of(money.elsewhere), chain)
    approve_through(statement_of(money.owed_too), chain, steps=3)
    publication = _publish(leader, money.project, "rewards")
    rows = _rows(publication)
    assert publication.columns == [
        "户编号",
        "户主",
        "村/社区",
        "村民小组",
        "奖励事由",
        "奖励金额(元)",
    ]
    assert [(r["户编号"], r["奖励事由"], r["奖励金额(元)"]) for r in rows[:-1]] == [
        ("H002", "按期签约腾房奖励", "1,500.00"),
        ("H002", "提前搬迁奖励", "500.00"),
        ("H101", "按期签约腾房奖励", "1,500.00"),
    ]
    for row in rows[:-1]:
        household = money.owed if row["户编号"] == "H002" else money.elsewhere
        assert row["户主"] == mask(_head(household), Mask.NAME) != _head(household)
    total = _total(publication)
    assert total["村/社区"] == "合计"
    assert total["奖励事由"] == "2 户" and total["奖励金额(元)"] == "3,500.00"
    # The rewards are the statement's reward lines, to the cent.
    assert sum(
        StatementLine.objects.filter(
            statement__project=money.project,
            statement__status=StatementStatus.APPROVED,
            rule="reward",
        ).values_list("amount", flat=True)
    ) == Decimal("3500.00")


def test_a_phone_number_written_in_a_reward_reason_is_masked_in_the_snapshot(
    money, chain, finance_wu, leader
):
    _reward(money.owed, finance_wu, "800.00", "协助动员奖励(联系人13812345678)")
    approve_through(statement_of(money.owed), chain)
    publication = _publish(leader, money.project, "rewards")
    reason = _rows(publication)[0]["奖励事由"]
    assert "13812345678" not in reason and reason.startswith("协助动员奖励")


# --- 工作进展情况 ---------------------------------------------------------------------------


def test_progress_counts_each_group_as_the_dashboard_does_without_personal_data(walked, leader):
    publication = _publish(leader, walked.project, "progress")
    rows = _rows(publication)
    assert publication.columns == [
        "村/社区",
        "村民小组",
        "登记户数",
        "审批通过",
        "已公示",
        "已摇号",
        "已签协议",
        "已结清",
        "已交房",
        "已入住",
        "货币化安置",
    ]
    community = walked.community.name
    by_group = {row["村民小组"]: row for row in rows if row["村/社区"] == community}
    walked_group = by_group["走访组"]
    assert [walked_group[c] for c in publication.columns[2:]] == [
        "1", "1", "1", "1", "1", "1", "1", "1", "0"
    ]  # fmt: skip
    dashboard = project_progress(walked.project)
    stages = ("registered", "qualified", "published", "drawn", "signed", "settled",
              "handed_over", "moved_in", "monetised")  # fmt: skip
    for group in dashboard.groups:
        name = group.name.removeprefix(f"{community} ")
        assert [by_group[name][label] for label in publication.columns[2:]] == [
            str(getattr(group.counts, stage)) for stage in stages
        ]
    subtotal = by_group["小计"]
    assert [subtotal[label] for label in publication.columns[2:]] == [
        str(getattr(dashboard.totals, stage)) for stage in stages
    ]
    total = rows[-1]
    assert total["村/社区"] == "合计"
    assert total["登记户数"] == str(dashboard.totals.registered) == "2"
    head = _head(walked)
    assert head not in str(publication.rows) and "W001" not in str(publication.rows)


def test_a_resident_sees_the_progress_board_as_a_summary_not_as_leaving_the_household_out(
    client, walked, leader
):
    progress = _publish(leader, walked.project, "progress")
    results = _publish(leader, walked.project, "compensation_results")
    page = client.get(reverse("public:resident", args=[walked.lookup_code]))
    cards = page.content.decode().split('<li class="card">')
    (progress_card,) = [card for card in cards if progress.title in card]
    (results_card,) = [card for card in cards if results.title in card]
    assert "汇总公示,不逐户列出" in progress_card and "本户未列入" not in progress_card
    assert "本户在列" in results_card


def test_a_community_publication_of_progress_holds_only_that_community(money, leader):
    publication = _publish(leader, money.project, "progress", community=money.group.community)
    rows = _rows(publication)
    assert [(r["村民小组"], r["登记户数"]) for r in rows] == [
        ("第一组", "3"),
        ("第二组", "1"),
        ("小计", "4"),
    ]


# --- publishing: frozen, hashed, public, masked ---------------------------------------------


def test_a_second_leader_publishes_the_results_frozen_and_hashed_on_the_public_site(
    client, walked, leader, leader2
):
    client.force_login(leader2)
    client.post(
        reverse("publicity_staff:publication-create"),
        {
            "project": walked.project.code,
            "kind": "compensation_results",
            "title": "",
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": "",
            "mask_names": "1",
        },
    )
    draft = Publication.objects.get(kind="compensation_results")
    assert draft.status == PublicationStatus.DRAFT and draft.rows == []
    client.force_login(leader)
    recently_authenticated(client)
    client.post(reverse("publicity_staff:publication-publish", args=[draft.pk]), {"confirm": "yes"})
    publication = Publication.objects.get(pk=draft.pk)
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.created_by == leader2 and publication.published_by == leader
    assert publication.content_hash == content_hash(hashed_document(publication))
    assert publication.title == f"{walked.project.name} 分户补偿结果公示"
    client.logout()
    page = client.get(reverse("public:publication-detail", args=[publication.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert publication.content_hash in text
    assert "W001" in text and "李**" in text and "李走完" not in text
    assert "13812345678" not in text
    raw = client.get(reverse("public:publication-snapshot", args=[publication.pk])).content
    assert hashlib.sha256(raw).hexdigest() == publication.content_hash
    assert "李走完".encode() not in raw
    # Frozen: the statement changing afterwards leaves the published rows as they were.
    frozen = list(publication.rows)
    Statement.objects.filter(household=walked).update(outcome="monetised")
    publication.refresh_from_db()
    assert publication.rows == frozen
    assert frozen_rows(publication)[1] != frozen  # what a new version would publish now
    assert publication.content_hash == content_hash(hashed_document(publication))


def test_each_money_kind_publishes_a_frozen_hashed_version_seen_on_the_project_page(
    client, walked, leader
):
    published = [_publish(leader, walked.project, kind) for kind in MONEY_KINDS]
    page = client.get(reverse("public:project-detail", args=[walked.project.code]))
    text = page.content.decode()
    for publication in published:
        assert publication.status == PublicationStatus.PUBLISHED
        assert publication.content_hash == content_hash(hashed_document(publication))
        assert publication.title in text


def test_the_printed_results_carry_the_masked_row_and_the_hash_on_the_community_sheet(
    walked, leader
):
    publication = _publish(leader, walked.project, "compensation_results")
    assert roster_communities(publication) == [walked.community.name, "合计"]
    pdf, pages = roster_pdf(publication, walked.community.name)
    text = squeezed("".join(pdf_pages(pdf)))
    row = _by_household(publication)["W001"]
    assert pages >= 1
    assert "W001" in text and "李**" in text and "李走完" not in text
    assert squeezed(row["收入合计(元)"]) in text
    assert publication.content_hash[:16] in text


# --- query counts -----------------------------------------------------------------------


def _project_with(households: int, actor) -> object:
    """A project whose households all have an approved statement with a reward."""
    from households.models import Community, VillagerGroup

    project = ProjectFactory()
    community = Community.objects.create(project=project, code="C1", name="东村")
    groups = [
        VillagerGroup.objects.create(
            project=project, community=community, code=f"G{n}", name=f"第{n}组"
        )
        for n in (1, 2)
    ]
    for n in range(households):
        household = make_household(groups[n % 2], actor=actor, code=f"Q{n:03d}")
        make_statement(household, "10000.00")
    statements = Statement.objects.filter(project=project)
    for statement in statements:
        StatementLine.objects.create(
            statement=statement,
            position=99,
            side="income",
            rule="reward",
            label="奖励:按期签约",
            inputs={"reason": "按期签约"},
            amount=Decimal("100.00"),
        )
    statements.update(status=StatementStatus.APPROVED, approved_at=timezone.now())
    return project


@pytest.mark.parametrize(
    ("kind", "queries"), [("compensation_results", 1), ("rewards", 1), ("progress", 2)]
)
def test_building_a_money_roster_costs_the_same_queries_for_2_and_20_households(
    kind, queries, clerk, django_assert_num_queries
):
    build = publicity_kinds.get(kind).build_rows
    for households in (2, 20):
        project = _project_with(households, clerk)
        with django_assert_num_queries(queries):
            rows = build(project, None)
        if kind == "progress":
            assert rows[-1]["registered"] == str(households)
        else:
            assert len([r for r in rows if r["household"]]) == households
