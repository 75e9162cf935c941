"""Published heads of the audit chain (issue 11, finding 9): the head is published on the
public site daily and with every publication and lottery sign-off; the published heads are
append-only; `verify_audit` checks the chain against every one of them, so a forged entry
appended in place of a published one, a rewritten published position or a cut-off tail
fails with a clear message and exit status 1 — and a copy kept outside the database still
catches it when the published heads were deleted too."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from resettlement.audit import audit_head, audit_head_publish, audit_verify, entry_hash
from resettlement.models import AuditEntry, HeadOccasion, PublishedHead
from resettlement.tasks import publish_audit_head
from tests.lottery.factories import build_lottery_project, create_session, start_drawing
from tests.people import make_user
from tests.resettlement.audit_helpers import make_chain, rewrite_from, tamper, verify_command

pytestmark = pytest.mark.django_db


def published_heads() -> list[tuple[int, str, str]]:
    return list(
        PublishedHead.objects.order_by("sequence").values_list("sequence", "hash", "occasion")
    )


def forge_after(entry: AuditEntry, count: int, actor) -> list[AuditEntry]:
    """Append `count` forged entries after `entry` with correct hashes, as someone with the
    database would after deleting what followed it."""
    forged, previous = [], entry
    for sequence in range(entry.sequence + 1, entry.sequence + 1 + count):
        fake = AuditEntry(
            sequence=sequence,
            recorded_at=previous.recorded_at,
            actor=actor,
            actor_username=actor.username,
            action="household.approve",
            payload={"household": "H999", "population": 9},
            previous_hash=previous.hash,
        )
        fake.hash = entry_hash(fake)
        tamper(
            "INSERT INTO resettlement_auditentry (sequence, recorded_at, actor_id,"
            " actor_username, action, object_type, object_id, object_label, payload,"
            " previous_hash, hash) VALUES (%s, %s, %s, %s, %s, '', '', '', %s, %s, %s)",
            (
                fake.sequence,
                fake.recorded_at,
                actor.pk,
                fake.actor_username,
                fake.action,
                json.dumps(fake.payload),
                fake.previous_hash,
                fake.hash,
            ),
        )
        forged.append(fake)
        previous = fake
    return forged


# -- publishing --------------------------------------------------------------------------------


def test_publishing_a_publication_publishes_the_head_it_made(published):
    entry = AuditEntry.objects.get(action="publication.publish")
    assert published_heads() == [(entry.sequence, entry.hash, HeadOccasion.PUBLICATION)]
    assert audit_head() == (entry.sequence, entry.hash)


def test_a_lottery_sign_off_publishes_the_head_it_made(clerk, leader, notary, roles):
    drawing = start_drawing(create_session(build_lottery_project(clerk), leader), notary)
    lottery_draw_remaining(actor=make_user("operator_zhou", "operator"), session=drawing)
    lottery_session_sign_off(actor=notary, session=drawing, witnesses="王某")
    entry = AuditEntry.objects.get(action="lottery.sign_off")
    assert (entry.sequence, entry.hash, HeadOccasion.LOTTERY_SIGN_OFF) in published_heads()


def test_the_daily_task_publishes_a_new_head_once(leader):
    assert publish_audit_head.delay().get() is None  # an empty chain has no head to publish
    chain = make_chain(leader, 3)
    assert publish_audit_head.delay().get() == 3
    assert published_heads() == [(3, chain[-1].hash, HeadOccasion.DAILY)]
    assert audit_head_publish() is None  # nothing appended since: nothing new to publish
    make_chain(leader, 1)
    assert publish_audit_head.delay().get() == 4
    assert [h[0] for h in published_heads()] == [3, 4]


def test_the_daily_task_is_scheduled_by_celery_beat(settings):
    schedules = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "resettlement.tasks.publish_audit_head" in schedules


# -- the public page ---------------------------------------------------------------------------


def test_the_public_page_lists_the_heads_and_every_public_page_links_it(client, leader):
    chain = make_chain(leader, 2)
    audit_head_publish()
    page = client.get("/public/audit-heads/")
    assert page.status_code == 200
    html = page.content.decode()
    assert chain[-1].hash in html and "每日公布" in html
    assert 'href="/public/audit-heads.json"' in html
    footer = client.get("/public/").content.decode()
    assert 'href="/public/audit-heads/"' in footer

    document = client.get("/public/audit-heads.json").json()
    assert document["format"] == "rs-audit-heads-v1"
    assert [(h["sequence"], h["hash"], h["occasion"]) for h in document["heads"]] == [
        (2, chain[-1].hash, "daily")
    ]
    assert document["heads"][0]["published_at"].endswith("Z")


def test_the_public_page_says_when_nothing_is_published_yet(client, db):
    assert "尚未公布链头" in client.get("/public/audit-heads/").content.decode()
    assert client.get("/public/audit-heads.json").json()["heads"] == []


# -- append-only -------------------------------------------------------------------------------


def test_the_database_refuses_to_update_a_published_head(leader):
    make_chain(leader, 1)
    audit_head_publish()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE resettlement_publishedhead SET hash = %s", ["f" * 64])
    assert PublishedHead.objects.get().hash != "f" * 64


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite a test's flush deletes row by row, so only PostgreSQL refuses DELETE",
)
def test_postgresql_refuses_to_delete_a_published_head(leader):
    make_chain(leader, 1)
    audit_head_publish()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM resettlement_publishedhead")
    assert PublishedHead.objects.count() == 1


def test_the_model_refuses_to_change_or_delete_a_published_head(leader):
    make_chain(leader, 1)
    head = audit_head_publish()
    head.hash = "f" * 64
    with pytest.raises(ValueError, match="append-only"):
        head.save()
    with pytest.raises(ValueError, match="append-only"):
        head.delete()


# -- verifying against the published heads -----------------------------------------------------


def test_an_intact_chain_verifies_against_its_published_heads(leader):
    make_chain(leader, 2)
    audit_head_publish()
    make_chain(leader, 2)
    audit_head_publish()
    status, out, _err = verify_command()
    assert status == 0
    assert out.splitlines()[1] == (
        "Checked against 2 published, 0 printed and 0 copied heads; newest published #4"
    )


def test_a_forged_append_in_place_of_a_published_entry_fails_verification(leader):
    """Entries 4 and 5 deleted, two forged ones appended with correct hashes: the chain alone
    verifies, but position 5 was published with another hash."""
    chain = make_chain(leader, 5)
    audit_head_publish()
    tamper("DELETE FROM resettlement_auditentry WHERE sequence >= 4")
    forge_after(chain[2], 2, leader)
    assert audit_verify(copied=()).problem.code == "differs_from_published"

    status, _out, err = verify_command()
    assert status == 1
    assert "BROKEN at entry #5 (differs_from_published)" in err
    assert "公布过的链头" in err and chain[-1].hash[:16] in err and "伪造" in err


def test_a_rewritten_published_position_fails_verification(leader):
    """Entries 3-5 rewritten consistently (every hash recomputed) after head 4 was published:
    the chain alone cannot tell, the published head can."""
    make_chain(leader, 4)
    audit_head_publish()
    make_chain(leader, 1)
    rewrite_from(3)
    status, _out, err = verify_command()
    assert status == 1 and "BROKEN at entry #4 (differs_from_published)" in err


def test_a_truncated_tail_fails_verification(leader):
    make_chain(leader, 3)
    audit_head_publish()
    make_chain(leader, 2)
    audit_head_publish()
    tamper("DELETE FROM resettlement_auditentry WHERE sequence >= 3")

    status, _out, err = verify_command()
    assert status == 1
    assert "BROKEN at entry #3 (missing)" in err
    assert "链中只有 2 条记录,但第 3 条的链头已经公布过" in err and "链尾被删除" in err


def test_a_copy_of_the_published_heads_catches_what_the_database_no_longer_shows(
    client, leader, tmp_path
):
    """The owner of the database cuts the tail and deletes the published heads as well: the
    database alone verifies, the copy someone saved from the public page does not."""
    make_chain(leader, 3)
    audit_head_publish()
    copy = tmp_path / "audit-heads.json"
    copy.write_bytes(client.get("/public/audit-heads.json").content)
    assert verify_command("--heads", str(copy))[0] == 0

    tamper("DELETE FROM resettlement_auditentry WHERE sequence >= 2")
    tamper("DELETE FROM resettlement_publishedhead")
    assert verify_command()[0] == 0  # nothing left in the database to compare with

    status, _out, err = verify_command("--heads", str(copy))
    assert status == 1
    assert "BROKEN at entry #3 (missing)" in err and "audit-heads.json" in err


def test_a_copy_catches_a_published_head_removed_from_the_database(client, leader, tmp_path):
    make_chain(leader, 2)
    audit_head_publish()
    copy = tmp_path / "heads.json"
    copy.write_bytes(client.get("/public/audit-heads.json").content)
    tamper("DELETE FROM resettlement_publishedhead")
    status, _out, err = verify_command("--heads", str(copy))
    assert status == 1 and "BROKEN at entry #2 (published_head_removed)" in err


def test_a_damaged_copy_is_refused_clearly(leader, tmp_path):
    from django.core.management import CommandError

    copy = tmp_path / "heads.json"
    copy.write_text(json.dumps({"format": "rs-audit-heads-v1", "heads": [{"sequence": 1}]}))
    with pytest.raises(CommandError, match="第 1 个链头不完整"):
        verify_command("--heads", str(copy))
