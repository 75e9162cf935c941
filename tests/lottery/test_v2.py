"""rs-lottery-v2 (docs/lottery.md §13a): the commitment binds a record of the session (its
estates and step prefix among them) and the seed takes a public random value named at
creation. The server refuses to draw before that value is entered, and every Python verifier
refuses a bundle whose prefix, estates or public value were changed; v1 bundles still verify.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import html
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from allocation.models import Estate
from lottery import algorithm
from lottery.models import LotterySession
from lottery.services.draws import lottery_draw_next, lottery_draw_remaining
from lottery.services.sessions import (
    lottery_session_confirm,
    lottery_session_enter_entropy,
    lottery_session_enter_public_value,
)
from lottery.services.sign_off import lottery_session_sign_off
from lottery.verification import verify_bundle
from resettlement.errors import RuleViolation
from tests.lottery.factories import create_session

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_lottery.py"
SECRET = bytes(range(32))
ENTROPY = "3-1-4-1-5 九二六"
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
LOTTERY = {"kind": "welfare_lottery", "game": "福彩3D", "draw": "2026330", "date": TOMORROW}


@pytest.fixture
def checker():
    spec = importlib.util.spec_from_file_location("verify_lottery", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _script_verdict(bundle: dict, tmp_path: Path) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(  # noqa: S603 (our own script, run with this interpreter)
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
    )
    return run.stdout.strip().splitlines()[-1]


def _confirm(session, notary):
    return lottery_session_confirm(
        actor=notary,
        session=session,
        participants_sha256=session.participants_sha256,
        inventory_sha256=session.inventory_sha256,
    )


@pytest.fixture
def v2_signed(lottery_project, leader, notary, operator):
    session = create_session(lottery_project, leader, code="V2", public_source=LOTTERY)
    _confirm(session, notary)
    lottery_session_enter_entropy(actor=notary, session=session, witness_entropy="4 4 2 6")
    session = lottery_session_enter_public_value(actor=notary, session=session, value=" 3  8 1 ")
    lottery_draw_remaining(actor=operator, session=session)
    return lottery_session_sign_off(actor=notary, session=session, witnesses="村民代表 王某")


# -- the seed, as documented --------------------------------------------------------------


def test_the_v2_seed_is_the_documented_vector(checker):
    bundle = checker.example_bundle_v2()
    doc = (SCRIPT.parent / "lottery.md").read_text(encoding="utf-8")
    commitment = algorithm.commitment_of_record(bundle["commitment_record"])
    seed = algorithm.seed_of_v2(SECRET, commitment, "3 8 1", ENTROPY)
    assert f"commitment             {commitment}" in doc
    assert f"seed                   {seed.hex()}" in doc
    # the seed's input bytes as §13a.4 spells them out
    p, e = b"3 8 1", ENTROPY.encode()
    spelled = (
        b"rs-lottery-v2\x00"
        + SECRET
        + bytes.fromhex(commitment)
        + len(p).to_bytes(4, "big")
        + p
        + len(e).to_bytes(4, "big")
        + e
    )
    assert hashlib.sha256(spelled).digest() == seed
    assert f"seed input (hex)       {spelled.hex()}" in doc
    assert verify_bundle(bundle) == []


# -- the server ----------------------------------------------------------------------------


def test_draw_refused_until_the_public_value_is_entered(lottery_project, leader, notary, operator):
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    assert session.algorithm == "rs-lottery-v2"
    assert session.commitment == algorithm.commitment_of_record(session.commitment_record)
    assert session.commitment_record["public_source"] == LOTTERY
    _confirm(session, notary)
    session = lottery_session_enter_entropy(actor=notary, session=session, witness_entropy="1 2")
    assert session.seed == "" and session.steps == []
    with pytest.raises(RuleViolation) as refused:
        lottery_draw_next(actor=operator, session=session, expected_position=1)
    assert refused.value.code == "public_value_missing"
    assert "公开随机数尚未录入" in str(refused.value.message)
    session = lottery_session_enter_public_value(actor=notary, session=session, value="3 8 1")
    assert session.status == "drawing" and session.seed
    lottery_draw_next(actor=operator, session=session, expected_position=1)


def test_the_refusal_reads_in_english(lottery_project, leader, notary, operator):
    from django.utils import translation

    session = create_session(lottery_project, leader, public_source=LOTTERY)
    _confirm(session, notary)
    lottery_session_enter_entropy(actor=notary, session=session, witness_entropy="1 2")
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        lottery_draw_next(actor=operator, session=session, expected_position=1)
    assert "public random value" in str(refused.value.message).lower()


def test_a_draw_already_held_cannot_be_named(lottery_project, leader):
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, public_source={**LOTTERY, "date": yesterday})
    assert "已过" in str(refused.value.message)


def test_a_drand_value_must_be_the_hash_of_its_signature(lottery_project, leader, notary):
    source = {"kind": "drand", "chain": "ab" * 32, "round": "4200000"}
    session = create_session(lottery_project, leader, public_source=source)
    assert session.commitment_record["public_source"]["round"] == 4200000
    _confirm(session, notary)
    signature = bytes(range(1, 49)).hex()
    with pytest.raises(RuleViolation) as refused:
        lottery_session_enter_public_value(
            actor=notary, session=session, value="00" * 32, signature=signature
        )
    assert refused.value.code == "public_value_invalid"
    randomness = hashlib.sha256(bytes(range(1, 49))).hexdigest()
    session = lottery_session_enter_public_value(
        actor=notary, session=session, value=randomness.upper(), signature=signature
    )
    assert session.public_value == randomness and session.public_signature == signature


def test_the_prefix_follows_the_estates_in_the_record(lottery_project, leader):
    Estate.objects.create(project=lottery_project.project, code="E0", name="第二小区")
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    record = session.commitment_record
    assert record["estates"] == ["E0", "E1"] and record["step_prefix"] == "E1/"
    assert session.step_prefix == "E1/"


# -- verification --------------------------------------------------------------------------


def test_a_signed_v2_bundle_verifies_with_every_python_tool(v2_signed, checker, tmp_path):
    bundle = copy.deepcopy(v2_signed.bundle)
    assert bundle["algorithm"] == "rs-lottery-v2"
    assert bundle["public_value"] == "3 8 1" and bundle["public_signature"] is None
    assert (
        "福利彩票" in bundle["public_source_lookup"] or "Welfare" in bundle["public_source_lookup"]
    )
    assert verify_bundle(bundle) == []
    assert not checker.verify(bundle).problems
    assert _script_verdict(bundle, tmp_path) == "VERIFIED"


def _tampered(bundle: dict, how: str) -> dict:
    bundle = copy.deepcopy(bundle)
    if how == "prefix":
        bundle["step_prefix"] = "E1/"
        for step in bundle["steps"]:
            step["label"] = "E1/" + step["label"]
    elif how == "prefix_and_record":  # the record changed too: its hash is not the commitment
        bundle["step_prefix"] = "E1/"
        bundle["commitment_record"]["step_prefix"] = "E1/"
        bundle["commitment_record"]["estates"] = ["E1", "E2"]
    elif how == "public_value":
        bundle["public_value"] = "3 8 2"
    return bundle


@pytest.mark.parametrize(
    ("how", "python_says", "script_says"),
    [
        ("prefix", "步骤前缀", "step_prefix"),
        ("prefix_and_record", "承诺记录", "commitment record hashes"),
        ("public_value", "种子", "recomputed seed"),
    ],
)
def test_a_changed_prefix_estate_list_or_public_value_fails(
    v2_signed, checker, tmp_path, how, python_says, script_says
):
    bundle = _tampered(v2_signed.bundle, how)
    problems = verify_bundle(bundle)
    assert problems and python_says in problems[0]
    report = checker.verify(bundle)
    assert report.problems and script_says in report.problems[0]
    assert _script_verdict(bundle, tmp_path).startswith("FAILED")


def test_a_v1_bundle_still_verifies(v1_signed_session, checker, tmp_path, capsys):
    signed_session = v1_signed_session
    bundle = copy.deepcopy(signed_session.bundle)
    assert bundle["algorithm"] == "rs-lottery-v1"
    assert verify_bundle(bundle) == []
    assert _script_verdict(bundle, tmp_path) == "VERIFIED"
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    call_command("verify_lottery", str(path))
    assert "rs-lottery-v1" in capsys.readouterr().out


def test_the_command_refuses_a_v2_bundle_with_another_public_value(v2_signed, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "v2.json"
    path.write_text(json.dumps(_tampered(v2_signed.bundle, "public_value")), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("verify_lottery", str(path))


# -- the pages: the new-session form, the console, the hall's big screen, the record -------


def test_the_leader_names_the_public_value_on_the_new_session_form(client, lottery_project, leader):
    client.force_login(leader)
    project = lottery_project.project
    form = {
        "project": project.code,
        "code": "F2",
        "title": "第二场",
        "estate": lottery_project.estate.pk,
        "communities": [c.pk for c in lottery_project.communities],
        "mode": "direct",
        "public_source_kind": "sports_lottery",
        "public_game": "排列3",
        "public_draw": "26330",
        "public_date": TOMORROW,
    }
    response = client.post(f"/staff/lottery/new/?project={project.code}", form)
    assert response.status_code == 302
    session = LotterySession.objects.get(code="F2")
    assert session.commitment_record["public_source"] == {
        "kind": "sports_lottery",
        "game": "排列3",
        "draw": "26330",
        "date": TOMORROW,
    }
    page = client.get(f"/staff/lottery/{session.code}/").content.decode()
    assert "中国体育彩票 排列3 第 26330 期" in page and session.commitment in page


def test_the_notary_enters_the_public_value_at_the_console(
    client, lottery_project, leader, notary, operator
):
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    _confirm(session, notary)
    client.force_login(notary)
    entered = client.post(
        f"/staff/lottery/{session.code}/entropy/",
        {"witness_entropy": "6 6 1"},
        HTTP_ACCEPT="application/json",
    ).json()
    # The notary is told what comes next, not that the draw can start.
    assert entered["ok"] and "下一步" in entered["message"] and "福彩3D" in entered["message"]
    assert "可以开始摇号" not in entered["message"]
    page = client.get(f"/staff/lottery/{session.code}/").content.decode()
    assert 'id="public-value-form"' in page and 'id="entropy-form"' not in page
    client.force_login(operator)
    refused = client.post(
        f"/staff/lottery/{session.code}/draw/",
        {"expected_position": 1},
        HTTP_ACCEPT="application/json",
    )
    assert refused.json()["code"] == "public_value_missing"
    client.force_login(notary)
    done = client.post(
        f"/staff/lottery/{session.code}/public-value/",
        {"value": "0 4 9"},
        HTTP_ACCEPT="application/json",
    )
    assert done.json()["ok"], done.json()
    assert "可以开始摇号" in done.json()["message"]
    session.refresh_from_db()
    assert session.status == "drawing" and session.public_value == "0 4 9"


def test_the_public_value_first_leaves_the_notary_the_entropy_to_enter(
    client, lottery_project, leader, notary
):
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    _confirm(session, notary)
    client.force_login(notary)
    done = client.post(
        f"/staff/lottery/{session.code}/public-value/",
        {"value": "0 4 9"},
        HTTP_ACCEPT="application/json",
    ).json()
    assert done["ok"] and "下一步" in done["message"] and "见证随机数" in done["message"]
    session.refresh_from_db()
    assert session.status == "confirmed"
    entered = client.post(
        f"/staff/lottery/{session.code}/entropy/",
        {"witness_entropy": "6 6 1"},
        HTTP_ACCEPT="application/json",
    ).json()
    assert entered["ok"] and "可以开始摇号" in entered["message"]


def test_the_console_and_the_public_page_show_the_record_that_hashes_to_the_commitment(
    client, lottery_project, leader, notary
):
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    client.force_login(notary)
    console = client.get(f"/staff/lottery/{session.code}/").content.decode()
    public = client.get(f"/public/lottery/{session.code}/").content.decode()
    for page in (console, public):
        text = re.search(r'id="commitment-record".*?<pre[^>]*>(.*?)</pre>', page, re.S).group(1)
        record = json.loads(html.unescape(text))
        assert record == session.commitment_record and record["public_source"]["game"] == "福彩3D"
        assert algorithm.commitment_of_record(record) == session.commitment


def test_the_big_screen_shows_the_trust_from_commitment_to_bundle(
    client, lottery_project, leader, notary, operator
):
    session = create_session(lottery_project, leader, public_source=LOTTERY)
    client.force_login(notary)
    start = client.get(f"/staff/lottery/{session.code}/screen/").content.decode()
    assert session.commitment in start and "福彩3D" in start and "待公布后录入" in start
    assert 'id="screen-end"' in start and "hidden" in start.split('id="screen-end"')[1][:80]
    _confirm(session, notary)
    lottery_session_enter_entropy(actor=notary, session=session, witness_entropy="2 2 5")
    lottery_session_enter_public_value(actor=notary, session=session, value="7 0 3")
    state = client.get(f"/staff/lottery/{session.code}/screen/state.json").json()
    assert state["public_value"] == "7 0 3" and state["witness_entropy"] == "2 2 5"
    assert state["bundle_sha256"] == ""
    lottery_draw_remaining(actor=operator, session=session)
    signed = lottery_session_sign_off(actor=notary, session=session, witnesses="王某")
    end = client.get(f"/staff/lottery/{session.code}/screen/").content.decode()
    after = end.split('id="screen-end"')[1][:120]
    assert "hidden" not in after
    assert signed.bundle_sha256 in end and "7 0 3" in end
    assert f"/public/lottery/{session.code}/verify/" in end
    assert 'id="screen-verify-qr" src="data:image/png;base64,' in end


def test_the_notarial_record_says_where_the_public_value_came_from(v2_signed):
    from lottery.pdf.notarial_record import notarial_record_pdf
    from tests.pdf import pdf_pages, squeezed

    text = "".join(squeezed(page) for page in pdf_pages(notarial_record_pdf(v2_signed)))
    assert "rs-lottery-v2" in text
    assert "中国福利彩票福彩3D第2026330期" in text
    assert "公开随机数381" in text  # the public value "3 8 1" as entered
    assert "开奖公告" in text  # how to look it up
    assert v2_signed.commitment[:32] in text


# -- new binding sessions are v2 (issue 16: no one may opt out of public randomness) -------


def test_a_binding_session_without_a_public_value_is_refused(lottery_project, leader):
    from django.utils import translation

    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, public_source=None)
    assert refused.value.details[0]["field"] == "public_source_kind"
    assert "必须事先指定一个公开随机数" in refused.value.message
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, public_source=None)
    assert "must name a public random value" in str(refused.value.message)
    assert not LotterySession.objects.exists()


def test_a_rehearsal_may_go_without_a_public_value(lottery_project, leader):
    practice = create_session(lottery_project, leader, code="R1", rehearsal=True)
    assert practice.algorithm == "rs-lottery-v1" and practice.commitment_record is None
    named = create_session(
        lottery_project, leader, code="R2", rehearsal=True, public_source=LOTTERY
    )
    assert named.algorithm == "rs-lottery-v2" and named.waits_for_public_value


def test_the_form_shows_the_missing_public_value_on_its_field(client, lottery_project, leader):
    client.force_login(leader)
    project = lottery_project.project
    form = {
        "project": project.code,
        "code": "F3",
        "title": "第三场",
        "estate": lottery_project.estate.pk,
        "communities": [c.pk for c in lottery_project.communities],
        "mode": "direct",
        "public_source_kind": "",
    }
    response = client.post(f"/staff/lottery/new/?project={project.code}", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"public_source_kind"}
    assert "事先指定的公开随机数" in errors["public_source_kind"][0]
    assert not LotterySession.objects.exists()
    response = client.post(
        f"/staff/lottery/new/?project={project.code}", {**form, "rehearsal": "on"}
    )
    assert response.status_code == 302
    assert LotterySession.objects.get(code="F3").algorithm == "rs-lottery-v1"
