"""The demo's publicity of money (demo.money_publicity): after the settlement stage, one
publication of each money kind, drafted by leader2 and published by the leader, frozen and
hashed, listing the settled group's households and its reward."""

from __future__ import annotations

from django.test import override_settings

from demo.money_publicity import MONEY_KINDS
from publicity.models import Publication, PublicationStatus
from publicity.snapshot import content_hash, hashed_document
from resettlement.masking import Mask, mask
from settlement.models import Adjustment, AdjustmentKind, Statement, StatementStatus
from tests.demo.seeding import demo_settings, seed


def test_seed_demo_publishes_each_money_kind_after_settlement(db, tmp_path):
    with override_settings(**demo_settings(tmp_path)):
        output = seed()
    published = Publication.objects.filter(kind__in=MONEY_KINDS).order_by("pk")
    by_kind = {p.kind: p for p in published}
    assert tuple(by_kind) == MONEY_KINDS
    for publication in published:
        assert publication.status == PublicationStatus.PUBLISHED
        assert publication.created_by.username == "leader2"
        assert publication.published_by.username == "leader"
        assert publication.content_hash == content_hash(hashed_document(publication))
    results = by_kind["compensation_results"]
    codes = [row[0] for row in results.rows if row[0]]
    publishable = Statement.objects.filter(
        project=results.project, status__in=[StatementStatus.APPROVED, StatementStatus.SETTLED]
    ).select_related("household")
    assert codes and sorted(codes) == sorted(s.household.code for s in publishable)
    rewarded = Adjustment.objects.get(kind=AdjustmentKind.REWARD)
    rewards = by_kind["rewards"]
    assert rewards.rows[0][0] == rewarded.household.code
    assert rewards.rows[0][4] == rewarded.reason
    head = rewarded.household.members.get(relation="head").name
    assert rewards.rows[0][1] == mask(head, Mask.NAME) != head
    assert by_kind["progress"].rows[-1][0] == "合计"
    assert "publicity of money" in output
