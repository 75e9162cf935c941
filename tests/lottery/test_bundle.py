"""The bundle of a signed session recomputes from itself alone; any change is caught.

These are rs-lottery-v1 bundles (sessions made before v2 keep verifying); the v2 bundle's
own checks are in test_v2.py."""

from __future__ import annotations

import copy

import pytest

from lottery import algorithm
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from lottery.verification import BUNDLE_FIELDS, bundle_of, verify_bundle
from tests.lottery.factories import create_session, pick_all, start_drawing


@pytest.fixture
def bundle(v1_signed_session):
    return copy.deepcopy(v1_signed_session.bundle)


def test_the_bundle_has_the_designs_fields(bundle, v1_signed_session, lottery_project):
    signed_session = v1_signed_session
    for name in (
        "algorithm",
        "session",
        "commitment",
        "server_secret",
        "witness_entropy",
        "seed",
        "steps",
        "allocation",
        "participants",
        "participants_sha256",
        "inventory",
        "inventory_sha256",
        "step_prefix",
        "fixed_village_order",
    ):
        assert name in bundle
    assert "picks" not in bundle  # direct mode
    assert bundle["algorithm"] == "rs-lottery-v1"
    session = bundle["session"]
    assert session["code"] == "S1" and session["project"] == lottery_project.project.code
    assert session["estate"] == "E1" and session["mode"] == "direct"
    for stamp in ("created_at", "committed_at", "entropy_at", "closed_at"):
        assert session[stamp].endswith("Z")
    assert all(set(step) >= {"label", "participants", "order"} for step in bundle["steps"])
    households = [row["household"] for row in bundle["allocation"]]
    assert households == sorted(households) and len(households) == 12
    assert all(row["apartments"] == sorted(row["apartments"]) for row in bundle["allocation"])
    assert bundle == bundle_of(signed_session)


def test_a_signed_bundle_verifies(bundle):
    assert verify_bundle(bundle) == []


def test_a_changed_order_fails_and_names_the_step(bundle):
    step = bundle["steps"][-1]
    step["order"] = list(reversed(step["order"]))
    problems = verify_bundle(bundle)
    assert problems and step["label"] in problems[0]


def test_a_changed_participant_fails(bundle):
    bundle["participants"][0]["demand"] = {"T120": 1}
    problems = verify_bundle(bundle)
    assert any("participants_sha256" in p for p in problems)


def test_a_participant_left_out_fails(bundle):
    removed = bundle["participants"].pop(3)
    bundle["participants_sha256"] = algorithm.snapshot_hash(bundle["participants"])
    problems = verify_bundle(bundle)
    assert problems
    assert any(removed["code"] in p for p in problems)


def test_a_changed_allocation_fails_and_names_the_household(bundle):
    first, second = bundle["allocation"][0], bundle["allocation"][1]
    first["apartments"], second["apartments"] = second["apartments"], first["apartments"]
    problems = verify_bundle(bundle)
    assert problems and first["household"] in problems[0]


def test_the_right_apartments_in_another_order_fail_as_in_the_stand_alone_checker(bundle):
    """§13 check 8: compared as an ordered list, on the server as in verify_lottery.py."""
    row = next(r for r in bundle["allocation"] if len(r["apartments"]) > 1)
    row["apartments"] = list(reversed(row["apartments"]))
    bundle.pop("merkle_root")  # the row itself is what is judged here
    want = "、".join(sorted(row["apartments"]))
    assert verify_bundle(bundle) == [
        f"安置户 {row['household']} 的房号未按码点顺序排列(应为 {want})。"
    ]


def test_rows_out_of_household_code_order_fail(bundle):
    rows = bundle["allocation"]
    rows[0], rows[1] = rows[1], rows[0]
    bundle.pop("merkle_root")
    assert verify_bundle(bundle) == ["分房结果各行未按户编号的码点顺序排列。"]


def test_a_changed_secret_fails(bundle):
    bundle["server_secret"] = "00" * 32
    problems = verify_bundle(bundle)
    assert any("commitment" in p for p in problems)


def test_a_changed_entropy_fails(bundle):
    bundle["witness_entropy"] += "7"
    assert verify_bundle(bundle)


def test_the_wrong_algorithm_is_refused(bundle):
    bundle["algorithm"] = "rs-lottery-v0"
    assert len(verify_bundle(bundle)) == 1


def test_garbage_is_reported_not_raised():
    assert verify_bundle([]) == ["数据包应为 JSON 对象。"]
    (missing,) = verify_bundle({"algorithm": "rs-lottery-v1"})
    assert "数据包缺少字段" in missing and "server_secret" in missing and "allocation" in missing
    every_field_empty = {"algorithm": "rs-lottery-v1", **dict.fromkeys(BUNDLE_FIELDS[1:], None)}
    assert verify_bundle(every_field_empty) == ["server_secret 不是十六进制字符串。"]


def test_a_choose_mode_bundle_verifies_with_its_picks(choose_session, operator, notary):
    lottery_draw_remaining(actor=operator, session=choose_session)
    pick_all(choose_session, operator)
    signed = lottery_session_sign_off(actor=notary, session=choose_session, witnesses="王某")
    bundle = copy.deepcopy(signed.bundle)
    assert verify_bundle(bundle) == []
    bundle["picks"][0], bundle["picks"][1] = bundle["picks"][1], bundle["picks"][0]
    assert verify_bundle(bundle)


def test_a_fixed_village_order_bundle_verifies(lottery_project, leader, notary, operator):
    session = start_drawing(
        create_session(lottery_project, leader, fixed_village_order=["C2", "C1"]), notary
    )
    lottery_draw_remaining(actor=operator, session=session)
    signed = lottery_session_sign_off(actor=notary, session=session, witnesses="王某")
    bundle = copy.deepcopy(signed.bundle)
    assert bundle["fixed_village_order"] == ["C2", "C1"]
    assert verify_bundle(bundle) == []
    bundle["steps"][0]["order"] = ["C1", "C2"]
    assert verify_bundle(bundle)
