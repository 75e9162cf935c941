"""docs/verify_lottery.py, the stdlib-only checker anyone can run, against bundles made with
`lottery.algorithm` alone (no database): honest bundles verify, tampered ones fail naming the
problem, and its own recomputation agrees with the server's algorithm on random lotteries."""

from __future__ import annotations

import copy
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from lottery import algorithm
from lottery.algorithm import LotteryError

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_lottery.py"

COMBINATIONS = [
    {"T60": 1},
    {"T90": 1},
    {"T60": 1, "T90": 1},
    {"T90": 2},
    {"T45": 1, "T90": 1},
    {"T45": 2, "T60": 1, "T90": 2},
]


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location("verify_lottery", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_inputs(rng: random.Random, largest_group: int = 8):
    """Participants and an inventory (orientation order) with a few apartments to spare."""
    participants = []
    for c in range(rng.randint(1, 3)):
        for g in range(rng.randint(1, 3)):
            for _ in range(rng.randint(1, largest_group)):
                participants.append(
                    {
                        "code": f"H{len(participants) + 1:04d}",
                        "community": f"C{c + 1:02d}",
                        "group": f"G{c + 1}{g + 1:02d}",
                        "demand": dict(rng.choice(COMBINATIONS)),
                    }
                )
    inventory = []
    for apartment_type, count in sorted(algorithm.demand_of(participants).items()):
        for _ in range(count + rng.randint(0, 3)):
            inventory.append({"type": apartment_type, "tier": rng.choice("ABC")})
    rng.shuffle(inventory)
    for number, apartment in enumerate(inventory):
        building, floor = divmod(number, 12)
        apartment.update(
            code=f"{building + 1}-1-{floor + 1:02d}",
            building=str(building + 1),
            stair="1",
            floor=floor + 1,
            area="90.00" if apartment["type"] == "T90" else "60.00",
        )
    return sorted(participants, key=lambda h: h["code"]), inventory


def choose_picks(rng: random.Random, participants, steps, scheme):
    """Valid picks: each group's households in drawn order, groups interleaved at random."""
    by_code = {h["code"]: h for h in participants}
    queues = [list(s["order"]) for s in steps if "household/" in s["label"]]
    free = {group: list(share) for group, share in scheme.group_shares.items()}
    picks = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        household = by_code[queue.pop(0)]
        chosen = []
        for apartment_type, count in sorted(household["demand"].items()):
            options = [a for a in free[household["group"]] if a["type"] == apartment_type]
            for apartment in rng.sample(options, count):
                free[household["group"]].remove(apartment)
                chosen.append(apartment["code"])
        picks.append({"household": household["code"], "apartments": sorted(chosen)})
    return picks


def make_bundle(
    rng: random.Random, *, mode: str = "direct", prefix: str = "", fixed: bool = False, size=8
):
    """A bundle built only with `lottery.algorithm`, as the server would publish it."""
    participants, inventory = random_inputs(rng, size)
    secret = rng.randbytes(algorithm.SECRET_BYTES)
    entropy = f"{rng.randint(1, 6)}-{rng.randint(1, 6)}-{rng.randint(1, 6)} 九二六 e\u0301"
    entropy = algorithm.normalise_entropy(entropy)
    seed = algorithm.seed_of(secret, entropy)
    communities = sorted({h["community"] for h in participants})
    fixed_order = list(reversed(communities)) if fixed else None
    steps = algorithm.draw_all(seed, participants, fixed_village_order=fixed_order, prefix=prefix)
    scheme = algorithm.scheme_of(inventory, participants, steps, direct=mode == "direct")
    picks = None
    if mode == "choose":
        picks = choose_picks(rng, participants, steps, scheme)
        allocation = algorithm.check_picks(scheme, participants, steps, picks)
    else:
        allocation = scheme.allocation
    bundle = {
        "algorithm": algorithm.ALGORITHM,
        "session": {
            "code": "S-TEST",
            "project": "P-TEST",
            "title": "测试摇号",
            "created_at": "2024-05-01T01:00:00Z",
            "committed_at": "2024-05-01T01:00:00Z",
            "entropy_at": "2024-05-18T01:30:00Z",
            "closed_at": "2024-05-18T02:00:00Z",
            "estate": prefix.rstrip("/") or "E1",
            "mode": mode,
        },
        "commitment": algorithm.commitment_of(secret),
        "server_secret": secret.hex(),
        "witness_entropy": entropy,
        "seed": seed.hex(),
        "step_prefix": prefix,
        "fixed_village_order": fixed_order,
        "participants": participants,
        "participants_sha256": algorithm.snapshot_hash(participants),
        "inventory": inventory,
        "inventory_sha256": algorithm.snapshot_hash(inventory),
        "steps": steps,
        "allocation": [
            {"household": code, "apartments": sorted(allocation[code])}
            for code in sorted(allocation)
        ],
    }
    if picks is not None:
        bundle["picks"] = picks
    return bundle


def run_script(tmp_path: Path, bundle) -> subprocess.CompletedProcess:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8")
    return subprocess.run(  # noqa: S603 (our own script, run with this interpreter)
        [sys.executable, str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def failed_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == "", result.stderr  # a clean report, never a traceback
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("FAILED: "), result.stdout
    assert "VERIFIED" not in result.stdout
    return lines[-1]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"prefix": "E1/"},
        {"fixed": True},
        {"mode": "choose"},
        {"mode": "choose", "prefix": "E2/", "fixed": True},
        {"size": 30},
    ],
    ids=["direct", "several-estates", "fixed-village-order", "choose", "choose-fixed", "large"],
)
def test_an_honest_bundle_verifies(tmp_path, options):
    bundle = make_bundle(random.Random(str(options)), **options)
    result = run_script(tmp_path, bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "VERIFIED"
    assert "[FAIL]" not in result.stdout


def test_the_worked_example_bundle_of_the_doc_verifies(tmp_path):
    printed = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--example-bundle"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    result = run_script(tmp_path, json.loads(printed.stdout))
    assert result.returncode == 0 and result.stdout.strip().endswith("VERIFIED"), result.stdout


def test_vectors_are_printed(tmp_path):
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--vectors"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd" in result.stdout


# -- tampering --------------------------------------------------------------------------------


def household_step(bundle):
    steps = [s for s in bundle["steps"] if "household/" in s["label"]]
    return max(steps, key=lambda s: len(s["participants"]))


def swap_two_in_an_order(bundle):
    step = household_step(bundle)
    step["order"][0], step["order"][1] = step["order"][1], step["order"][0]
    return f"({step['label']}): order"


def remove_a_participant(bundle):
    gone = bundle["participants"].pop(3)
    return f"participants snapshot hashes to|{gone['code']}"


def remove_a_participant_and_rehash(bundle):
    gone = bundle["participants"].pop(3)
    bundle["participants_sha256"] = algorithm.snapshot_hash(bundle["participants"])
    return f"lists {gone['code']}, who is not|step household/{gone['group']} matches no"


def add_a_participant_and_rehash(bundle):
    first = bundle["participants"][0]
    bundle["participants"].append({**first, "code": "H9999"})
    bundle["participants_sha256"] = algorithm.snapshot_hash(bundle["participants"])
    return f"household/{first['group']} lacks H9999"


def change_an_allocated_apartment(bundle):
    rows = bundle["allocation"]
    row = next(r for r in rows if len(r["apartments"]) == 1)
    other = next(r for r in rows if r is not row and len(r["apartments"]) == 1)
    row["apartments"] = list(other["apartments"])
    return f"household {row['household']}"


def change_the_secret(bundle):
    bundle["server_secret"] = "ff" + bundle["server_secret"][2:]
    return "commitment"


def change_the_entropy(bundle):
    bundle["witness_entropy"] += "7"
    return "seed"


def change_the_inventory(bundle):
    bundle["inventory"][0]["tier"] = "A" if bundle["inventory"][0]["tier"] != "A" else "C"
    return "inventory snapshot hashes to"


def drop_a_step(bundle):
    step = household_step(bundle)
    bundle["steps"].remove(step)
    return f"step {step['label']} is missing"


def flip_the_village_flag(bundle):
    bundle["steps"][0]["fixed"] = True
    return "fixed"


TAMPERING = [
    swap_two_in_an_order,
    remove_a_participant,
    remove_a_participant_and_rehash,
    add_a_participant_and_rehash,
    change_an_allocated_apartment,
    change_the_secret,
    change_the_entropy,
    change_the_inventory,
    drop_a_step,
    flip_the_village_flag,
]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__ for t in TAMPERING])
def test_tampering_fails_naming_the_problem(tmp_path, tamper):
    rng = random.Random(tamper.__name__)
    bundle = make_bundle(rng, size=6)
    while len(household_step(bundle)["participants"]) < 2:
        bundle = make_bundle(rng, size=6)
    expected = tamper(bundle)
    line = failed_line(run_script(tmp_path, bundle))
    assert any(part in line for part in expected.split("|")), line


def choose_bundle_with_two_in_a_group(seed: str):
    rng = random.Random(seed)
    while True:
        bundle = make_bundle(rng, mode="choose", size=6)
        if len(household_step(bundle)["order"]) >= 2:
            return bundle


def test_a_pick_out_of_turn_fails(tmp_path):
    bundle = choose_bundle_with_two_in_a_group("out of turn")
    order = household_step(bundle)["order"]
    picks = bundle["picks"]
    first = next(i for i, p in enumerate(picks) if p["household"] == order[0])
    second = next(i for i, p in enumerate(picks) if p["household"] == order[1])
    picks[first], picks[second] = picks[second], picks[first]
    line = failed_line(run_script(tmp_path, bundle))
    assert f"{order[1]} picked out of turn" in line


def test_a_pick_of_the_wrong_types_fails(tmp_path):
    bundle = choose_bundle_with_two_in_a_group("wrong types")
    bundle["picks"][0]["apartments"] = bundle["picks"][0]["apartments"][:-1]
    assert "its demand is" in failed_line(run_script(tmp_path, bundle))


def test_an_allocation_that_differs_from_the_picks_fails(tmp_path):
    bundle = choose_bundle_with_two_in_a_group("differs")
    bundle["allocation"].pop()
    assert "missing from the allocation (the picks)" in failed_line(run_script(tmp_path, bundle))


def test_a_household_that_made_no_pick_fails(tmp_path):
    bundle = choose_bundle_with_two_in_a_group("no pick")
    dropped = bundle["picks"].pop()["household"]
    bundle["allocation"] = [row for row in bundle["allocation"] if row["household"] != dropped]
    assert f"households made no pick: {dropped}" in failed_line(run_script(tmp_path, bundle))


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"algorithm": "rs-lottery-v1"},
        "not a bundle",
    ],
)
def test_malformed_files_fail_cleanly(tmp_path, broken):
    failed_line(run_script(tmp_path, broken))


def test_a_wrong_field_type_fails_cleanly(tmp_path):
    bundle = make_bundle(random.Random(5))
    bundle["steps"][0] = "village"
    failed_line(run_script(tmp_path, bundle))
    bundle = make_bundle(random.Random(5))
    bundle["server_secret"] = "not hex"
    assert "server_secret is not hexadecimal" in failed_line(run_script(tmp_path, bundle))


# -- the checker's own recomputation agrees with lottery.algorithm ---------------------------


def test_two_hundred_random_lotteries_recompute_identically(checker):
    rng = random.Random(2024)
    for trial in range(200):
        participants, inventory = random_inputs(rng, 30 if trial % 5 == 0 else 8)
        seed = rng.randbytes(32)
        prefix = rng.choice(["", "E1/"])
        fixed = None
        if trial % 7 == 0:
            fixed = sorted({h["community"] for h in participants}, reverse=True)
        steps = algorithm.draw_all(seed, participants, fixed_village_order=fixed, prefix=prefix)
        assert checker.expected_steps(seed, participants, prefix, fixed) == steps
        scheme = algorithm.scheme_of(inventory, participants, steps)
        assert checker.direct_allocation(inventory, participants, steps) == scheme.allocation


def test_large_mixed_groups_recompute_identically(checker):
    rng = random.Random(30)
    participants, inventory = random_inputs(rng, 30)
    for household in participants:  # 30 households a group, many combinations
        household["group"] = household["group"][:2] + "01"
    participants.sort(key=lambda h: h["code"])
    for trial in range(5):
        seed = rng.randbytes(32)
        steps = algorithm.draw_all(seed, participants)
        assert checker.expected_steps(seed, participants, "") == steps
        scheme = algorithm.scheme_of(inventory, participants, steps)
        assert checker.direct_allocation(inventory, participants, steps) == scheme.allocation, trial


def test_picks_are_judged_alike(checker):
    rng = random.Random(99)
    for _ in range(60):
        participants, inventory = random_inputs(rng, 6)
        steps = algorithm.draw_all(rng.randbytes(32), participants)
        scheme = algorithm.scheme_of(inventory, participants, steps, direct=False)
        picks = choose_picks(rng, participants, steps, scheme)
        assert checker.picked_allocation(
            inventory, participants, steps, picks
        ) == algorithm.check_picks(scheme, participants, steps, picks)
        # a random mistake: both refuse
        broken = copy.deepcopy(picks)
        mistake = rng.randrange(3)
        if mistake == 0 and len(broken) > 1:
            broken[0], broken[-1] = broken[-1], broken[0]
        elif mistake == 1:
            broken[-1]["apartments"] = broken[-1]["apartments"] + broken[0]["apartments"][:1]
        else:
            broken[0]["apartments"] = broken[0]["apartments"][1:]
        try:
            algorithm.check_picks(scheme, participants, steps, broken)
        except LotteryError:
            with pytest.raises(checker.Problem):
                checker.picked_allocation(inventory, participants, steps, broken)
        else:
            assert checker.picked_allocation(inventory, participants, steps, broken)


def test_too_few_apartments_fail_in_both(checker):
    participants, inventory = random_inputs(random.Random(1))
    steps = algorithm.draw_all(bytes(32), participants)
    needed = algorithm.demand_of(participants)
    some_type = sorted(needed)[0]
    short = [a for a in inventory if a["type"] != some_type]
    with pytest.raises(LotteryError):
        algorithm.scheme_of(short, participants, steps)
    with pytest.raises(checker.Problem, match=f"missing {some_type} x"):
        checker.direct_allocation(short, participants, steps)
