"""rs-lottery-v1 as pure code (`lottery.algorithm`), no database.

The test vectors below are the numbers published in docs/lottery.md §14; the doc's block is
also compared with what the independent checker `docs/verify_lottery.py --vectors` prints.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from lottery import algorithm
from lottery.algorithm import TIER_POINTS, LotteryError

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load_checker():
    spec = importlib.util.spec_from_file_location("verify_lottery", DOCS / "verify_lottery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the test vectors (docs/lottery.md §14) ---------------------------------------------------

SECRET = bytes(range(32))
ENTROPY = "3-1-4-1-5 九二六"
COMMITMENT = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
SEED = "f21f4dd68833eb8ee01553f8e4050127b6b31eb7147987e13804d02f0a067e63"
SEED_E_ACUTE = "313966502e5a5a14b587270d51c122796338e1e98fc007822f4d7d1ac5e5e5a6"
VILLAGE_BLOCKS = [
    "5b1be6b30cf056394f151d8f23394b963fd8199c95282fbe5b001ed07ad33610",
    "2c913def9e8ccb17c21b2e901551388704a7bd26ddcb1c87075a56e7103d87a6",
    "9b5da88ad047aeccff632157898b2cbf565489b5ff39bbf94f3a05104eb2cff2",
]
UNIFORM = {
    6: [1, 4, 4, 0, 5, 5, 1, 0, 2, 1],
    10: [7, 4, 6, 2, 3, 9, 5, 2, 6, 5],
    1000: [657, 14, 86, 312, 543, 39, 55, 582, 36, 535],
    2**63 + 1: [
        6565094538513241657,
        5698493404115717014,
        4600455179666993086,
        6557274938214135312,
        3211416108658379543,
        335444671889874055,
        529831456579356582,
        6220748400069557241,
        5708881045243482098,
        1437219620859563239,
    ],
}
REJECTED_FOR_2_63_PLUS_1 = [
    13986824264097020039,
    11195289562866233036,
    18402589162219449535,
    12829775815233551865,
    17608643655344289239,
    12591045120097947191,
    13243014444509045917,
]
LETTERS = list("ABCDEFGHIJ")
SHUFFLES = {
    "village": "B I A D E F C G J H",
    "group/C01": "A J I D F H G E C B",
    "E1/household/G01": "J F H B I D C A G E",
}
EXAMPLE_STEPS = [
    ("village", "C01 C02", "C01 C02"),
    ("group/C01", "G01 G02", "G01 G02"),
    ("group/C02", "G03", "G03"),
    ("household/G01", "H01 H02 H03", "H03 H01 H02"),
    ("household/G02", "H04 H05", "H05 H04"),
    ("household/G03", "H06 H07 H08", "H07 H06 H08"),
]
EXAMPLE_ALLOCATION = {
    "H01": ["1-1-102", "1-1-201"],
    "H02": ["1-1-301", "1-1-302"],
    "H03": ["1-1-101", "1-1-202"],
    "H04": ["2-1-102"],
    "H05": ["2-1-101"],
    "H06": ["2-1-301"],
    "H07": ["2-1-201", "2-1-202"],
    "H08": ["2-1-302"],
}


@pytest.fixture(scope="module")
def checker():
    return load_checker()


@pytest.fixture(scope="module")
def doc_text():
    return (DOCS / "lottery.md").read_text(encoding="utf-8")


def doc_vectors(doc_text: str) -> str:
    found = re.search(
        r"<!-- vectors:begin.*?-->\n```text\n(.*?)\n```\n<!-- vectors:end", doc_text, re.S
    )
    assert found, "docs/lottery.md has no test vector block"
    return found.group(1)


def test_the_doc_prints_exactly_what_the_independent_checker_computes(checker, doc_text):
    assert doc_vectors(doc_text) == checker.vectors()


def test_commitment_and_seed_vectors(doc_text):
    assert algorithm.commitment_of(SECRET) == COMMITMENT
    assert algorithm.seed_of(SECRET, ENTROPY).hex() == SEED
    assert algorithm.seed_of(SECRET, "e\u0301").hex() == SEED_E_ACUTE
    for value in (COMMITMENT, SEED, SEED_E_ACUTE, SECRET.hex()):
        assert value in doc_vectors(doc_text)


def test_the_seed_is_sha256_of_secret_zero_byte_and_utf8_entropy():
    by_hand = hashlib.sha256(SECRET + b"\x00" + ENTROPY.encode("utf-8")).hexdigest()
    assert algorithm.seed_of(SECRET, ENTROPY).hex() == by_hand == SEED


def test_stream_blocks_vector(doc_text):
    seed = bytes.fromhex(SEED)
    stream = algorithm.Stream(seed, "village")
    assert [stream.read(32).hex() for _ in range(3)] == VILLAGE_BLOCKS
    for block in VILLAGE_BLOCKS:
        assert block in doc_vectors(doc_text)


def test_stream_reads_across_block_boundaries_like_one_long_string():
    seed = bytes.fromhex(SEED)
    stream = algorithm.Stream(seed, "village")
    pieces = b"".join(stream.read(n) for n in (5, 8, 30, 1, 20, 32))
    assert pieces.hex() == "".join(VILLAGE_BLOCKS)


@pytest.mark.parametrize("n", sorted(UNIFORM))
def test_uniform_vectors(n, doc_text):
    stream = algorithm.Stream(bytes.fromhex(SEED), "village")
    results = [stream.uniform(n) for _ in range(10)]
    assert results == UNIFORM[n]
    block = doc_vectors(doc_text)
    for first in (0, 5):
        assert " ".join(str(r) for r in results[first : first + 5]) in block


def test_uniform_rejects_values_at_or_above_the_limit(doc_text):
    """For n = 2**63 + 1 the limit is n itself: about half of the values are thrown away."""
    n = 2**63 + 1
    stream = algorithm.Stream(bytes.fromhex(SEED), "village")
    for _ in range(10):
        stream.uniform(n)
    raw = algorithm.Stream(bytes.fromhex(SEED), "village")
    values = [int.from_bytes(raw.read(8), "big") for _ in range(17)]
    assert [x for x in values if x >= n] == REJECTED_FOR_2_63_PLUS_1
    assert [x for x in values if x < n] == UNIFORM[n]
    for x in REJECTED_FOR_2_63_PLUS_1:
        assert f"{x} REJECTED" in doc_vectors(doc_text)


class ScriptedStream(algorithm.Stream):
    """A stream whose 8-byte values are given, to drive the rejection path for small n."""

    def __init__(self, values):
        super().__init__(b"", "")
        self._values = list(values)

    def read(self, n):
        assert n == 8
        return self._values.pop(0).to_bytes(8, "big")


def test_uniform_rejection_path_for_a_small_n():
    limit = 2**64 - 2**64 % 6  # 2**64 - 4
    stream = ScriptedStream([2**64 - 1, limit, limit - 1, 13])
    assert stream.uniform(6) == (limit - 1) % 6  # the first two values were rejected
    assert stream.uniform(6) == 13 % 6
    with pytest.raises(ValueError):
        algorithm.Stream(b"", "").uniform(0)


@pytest.mark.parametrize("label", sorted(SHUFFLES))
def test_shuffle_vectors(label, doc_text):
    order = algorithm.shuffle(bytes.fromhex(SEED), label, LETTERS)
    assert " ".join(order) == SHUFFLES[label]
    assert f"{label:<20} {SHUFFLES[label]}" in doc_vectors(doc_text)


def test_shuffle_is_fisher_yates_from_the_end_over_the_canonical_order():
    seed = bytes.fromhex(SEED)
    stream = algorithm.Stream(seed, "village")
    order = sorted(LETTERS)
    for i in range(len(order) - 1, 0, -1):
        j = stream.uniform(i + 1)
        order[i], order[j] = order[j], order[i]
    assert algorithm.shuffle(seed, "village", reversed(LETTERS)) == order


def example_participants(checker):
    return checker.EXAMPLE_PARTICIPANTS, checker.EXAMPLE_INVENTORY


def test_worked_example(checker, doc_text):
    participants, inventory = example_participants(checker)
    steps = algorithm.draw_all(bytes.fromhex(SEED), participants)
    got = [(s["label"], " ".join(s["participants"]), " ".join(s["order"])) for s in steps]
    assert got == EXAMPLE_STEPS
    assert steps[0]["fixed"] is False
    scheme = algorithm.scheme_of(inventory, participants, steps)
    assert {h: sorted(a) for h, a in scheme.allocation.items()} == EXAMPLE_ALLOCATION
    for household, apartments in EXAMPLE_ALLOCATION.items():
        assert f"| {household} | {', '.join(apartments)} |" in doc_text
    assert algorithm.snapshot_hash(participants) in doc_vectors(doc_text)
    assert algorithm.snapshot_hash(inventory) in doc_vectors(doc_text)


def test_canonical_json_example_of_the_doc(doc_text):
    household = {"code": "H01", "community": "C01", "group": "G01", "demand": {"T90": 2}}
    written = '{"code":"H01","community":"C01","demand":{"T90":2},"group":"G01"}'
    assert algorithm.canonical_json(household).decode() == written
    assert written in doc_text
    assert algorithm.snapshot_hash([household]) in doc_text


def test_canonical_json_keeps_non_ascii_and_sorts_keys_by_code_point():
    assert algorithm.canonical_json({"é": 1, "z": "九", "Z": [1, 2]}) == (
        '{"Z":[1,2],"z":"九","é":1}'.encode()
    )


# -- uniformity -------------------------------------------------------------------------------

CHI2_999 = {4: 18.467, 23: 49.728}  # chi-square 0.999 quantiles for 4 and 23 degrees of freedom


def chi_square(counts: Counter, cells: int, total: int) -> float:
    expected = total / cells
    assert len(counts) <= cells
    return sum((counts.get(k, 0) - expected) ** 2 / expected for k in range(cells))


def seeds(count: int):
    for i in range(count):
        yield hashlib.sha256(b"uniformity" + i.to_bytes(4, "big")).digest()


def test_a_four_item_shuffle_gives_each_of_the_24_orders_equally_often():
    permutations = {p: k for k, p in enumerate(itertools.permutations("ABCD"))}
    total = 12_000
    counts = Counter(
        permutations[tuple(algorithm.shuffle(s, "uniformity", "ABCD"))] for s in seeds(total)
    )
    assert len(counts) == 24
    assert chi_square(counts, 24, total) < CHI2_999[23]


def test_the_first_place_of_a_five_item_shuffle_is_uniform():
    total = 10_000
    counts = Counter(
        "ABCDE".index(algorithm.shuffle(s, "household/G01", "ABCDE")[0]) for s in seeds(total)
    )
    assert chi_square(counts, 5, total) < CHI2_999[4]


# -- canonical order, NFC ---------------------------------------------------------------------


def test_participants_enter_a_step_in_code_point_order():
    households = [
        {"code": code, "community": "C1", "group": group, "demand": {"T": 1}}
        for code, group in [
            ("一", "G2"),
            ("é", "G10"),
            ("a", "G1"),
            ("Z9", "G2"),
            ("H10", "G2"),
            ("H2", "G2"),
        ]
    ]
    steps = algorithm.draw_all(bytes(32), households)
    group_step = next(s for s in steps if s["label"] == "group/C1")
    assert group_step["participants"] == ["G1", "G10", "G2"]
    g2 = next(s for s in steps if s["label"] == "household/G2")
    assert g2["participants"] == ["H10", "H2", "Z9", "一"]
    assert sorted(["a", "é", "Z", "一"]) == ["Z", "a", "é", "一"]


def test_entropy_is_nfc_normalised_before_hashing():
    composed, decomposed = "\u00e9", "e\u0301"
    assert composed != decomposed
    assert algorithm.seed_of(SECRET, composed) == algorithm.seed_of(SECRET, decomposed)
    assert algorithm.seed_of(SECRET, composed).hex() == SEED_E_ACUTE
    assert algorithm.seed_of(SECRET, "e") != algorithm.seed_of(SECRET, composed)
    assert algorithm.normalise_entropy("九二六 e\u0301") == "九二六 \u00e9"


# -- steps and call order ---------------------------------------------------------------------


def small_project():
    households = []
    for number, (community, group) in enumerate(
        [("C2", "G21"), ("C1", "G11"), ("C1", "G12"), ("C2", "G21"), ("C1", "G11"), ("C2", "G22")]
    ):
        households.append(
            {"code": f"H{number}", "community": community, "group": group, "demand": {"T": 1}}
        )
    return households


def test_call_order_village_then_groups_then_households():
    households = small_project()
    steps = algorithm.draw_all(bytes.fromhex(SEED), households, prefix="E1/")
    labels = [s["label"] for s in steps]
    village = steps[0]["order"]
    assert labels[0] == "E1/village"
    assert labels[1:3] == [f"E1/group/{c}" for c in village]
    groups = {s["label"].split("/")[-1]: s["order"] for s in steps[1:3]}
    assert labels[3:] == [f"E1/household/{g}" for c in village for g in groups[c]]
    assert all(sorted(s["order"]) == s["participants"] for s in steps)


def test_a_fixed_village_order_is_recorded_not_drawn():
    households = small_project()
    steps = algorithm.draw_all(bytes(32), households, fixed_village_order=["C2", "C1"])
    assert steps[0] == {
        "label": "village",
        "participants": ["C1", "C2"],
        "order": ["C2", "C1"],
        "fixed": True,
    }
    assert [s["label"] for s in steps[1:3]] == ["group/C2", "group/C1"]
    with pytest.raises(LotteryError):
        algorithm.draw_all(bytes(32), households, fixed_village_order=["C1"])
    with pytest.raises(LotteryError):
        algorithm.draw_all(bytes(32), households, fixed_village_order=["C1", "C2", "C3"])


# -- ABC balance ------------------------------------------------------------------------------


def points(package) -> int:
    return sum(TIER_POINTS[a["tier"]] for a in package)


def dealt_points(tiers, n, count) -> set:
    """Every (ordered) vector of n package points when `tiers` are dealt `count` a package."""
    vectors = set()

    def deal(left, dealt):
        if len(dealt) == n:
            vectors.add(tuple(dealt))
            return
        for chosen in set(itertools.combinations(sorted(left), count)):
            rest = list(left)
            for value in chosen:
                rest.remove(value)
            deal(rest, [*dealt, sum(chosen)])

    deal(tiers, [])
    return vectors


def smallest_spread(pool, combination, n) -> int:
    """Brute force: the smallest max - min points of any division of `pool` into n packages
    of `combination`. Packages are interchangeable, so partial point vectors are kept sorted;
    each type's possible (ordered) point vectors are enumerated in full."""
    reached = {(0,) * n}
    for apartment_type, count in combination:
        tiers = [TIER_POINTS[a["tier"]] for a in pool if a["type"] == apartment_type]
        vectors = dealt_points(tiers, n, count)
        sums = (tuple(sorted(map(sum, zip(v, w, strict=True)))) for v in reached for w in vectors)
        reached = set(sums)
    return min(max(v) - min(v) for v in reached)


def random_class(rng: random.Random):
    types = [f"T{k}" for k in range(rng.randint(1, 3))]
    combination = tuple((t, rng.randint(1, 2)) for t in types)
    n = rng.randint(1, 4)
    pool = [
        {"type": t, "tier": rng.choice("ABC")} for t, count in combination for _ in range(count * n)
    ]
    rng.shuffle(pool)
    for number, apartment in enumerate(pool):
        apartment["code"] = f"A{number:03d}"
    return pool, combination, n


def test_packages_are_within_one_point_of_the_best_possible_spread():
    rng = random.Random(20240518)
    for _ in range(3000):
        pool, combination, n = random_class(rng)
        position = {a["code"]: i for i, a in enumerate(pool)}
        households = [{"code": f"H{k}", "demand": dict(combination)} for k in range(n)]
        packages = algorithm.build_packages(pool, households, position)[combination]
        spread = max(map(points, packages)) - min(map(points, packages))
        assert spread <= smallest_spread(pool, combination, n) + 1, (pool, combination, packages)
        # every package is exactly the combination, every apartment used once
        for package in packages:
            assert algorithm.signature(Counter(a["type"] for a in package)) == combination
        used = [a["code"] for package in packages for a in package]
        assert sorted(used) == sorted(position)


def test_the_brute_force_itself_on_a_known_case():
    pool = [{"code": c, "type": "T", "tier": t} for c, t in zip("wxyz", "ACBB", strict=True)]
    assert smallest_spread(pool, (("T", 2),), 2) == 0  # {A, C} against {B, B}
    pool = [{"code": c, "type": "T", "tier": t} for c, t in zip("wx", "AC", strict=True)]
    assert smallest_spread(pool, (("T", 1),), 2) == 2


COMBINATIONS = [
    {"T60": 1},
    {"T90": 1},
    {"T60": 1, "T90": 1},
    {"T90": 2},
    {"T45": 1, "T90": 1},
    {"T45": 2, "T60": 1, "T90": 2},
]


def random_project(rng: random.Random, largest_group: int = 8, spare: int = 2):
    households = []
    for c in range(rng.randint(1, 3)):
        for g in range(rng.randint(1, 3)):
            for _ in range(rng.randint(1, largest_group)):
                households.append(
                    {
                        "code": f"H{len(households) + 1:03d}",
                        "community": f"C{c + 1}",
                        "group": f"G{c + 1}{g + 1}",
                        "demand": dict(rng.choice(COMBINATIONS)),
                    }
                )
    inventory = []
    for apartment_type, count in sorted(algorithm.demand_of(households).items()):
        for _ in range(count + rng.randint(0, spare)):
            inventory.append({"type": apartment_type, "tier": rng.choice("ABC")})
    rng.shuffle(inventory)
    for number, apartment in enumerate(inventory):
        apartment.update(code=f"1-{number:04d}", building="1", stair="1", floor=1, area="60.00")
    return households, inventory


def first_fit(pool, need):
    """Independent of `algorithm.take`: per type, the earliest apartments of the pool."""
    taken = []
    for apartment_type, count in need.items():
        taken += [a for a in pool if a["type"] == apartment_type][:count]
    chosen = {a["code"] for a in taken}
    return [a for a in pool if a["code"] in chosen], [a for a in pool if a["code"] not in chosen]


def test_whole_schemes_give_every_household_its_combination_balanced_and_in_orientation_order():
    rng = random.Random(7)
    for _ in range(150):
        households, inventory = random_project(rng)
        steps = algorithm.draw_all(rng.randbytes(32), households)
        scheme = algorithm.scheme_of(inventory, households, steps)
        by_code = {a["code"]: a for a in inventory}
        # every household exactly its combination, no apartment twice
        assert set(scheme.allocation) == {h["code"] for h in households}
        every = [code for codes in scheme.allocation.values() for code in codes]
        assert len(every) == len(set(every))
        for household in households:
            got = Counter(by_code[c]["type"] for c in scheme.allocation[household["code"]])
            assert algorithm.signature(got) == algorithm.signature(household["demand"])
        # shares follow the orientation order: communities in village order, then groups
        orders = {s["label"]: s["order"] for s in steps}
        rest = list(inventory)
        for community in orders["village"]:
            members = [h for h in households if h["community"] == community]
            share, rest = first_fit(rest, algorithm.demand_of(members))
            assert share == scheme.community_shares[community]
            for group in orders[f"group/{community}"]:
                in_group = [h for h in members if h["group"] == group]
                group_share, share = first_fit(share, algorithm.demand_of(in_group))
                assert group_share == scheme.group_shares[group]
                assert {c for h in in_group for c in scheme.allocation[h["code"]]} == {
                    a["code"] for a in group_share
                }
        # within one point of the best spread, class by class (small classes only: brute force)
        for classes in scheme.packages.values():
            for combination, packages in classes.items():
                pool = [a for package in packages for a in package]
                if len(packages) > 4 or sum(c for _, c in combination) > 4:
                    continue
                spread = max(map(points, packages)) - min(map(points, packages))
                assert spread <= smallest_spread(pool, combination, len(packages)) + 1


def test_households_of_a_class_take_packages_in_draw_order():
    households, inventory = random_project(random.Random(3), largest_group=12, spare=0)
    steps = algorithm.draw_all(bytes(32), households)
    scheme = algorithm.scheme_of(inventory, households, steps)
    by_code = {h["code"]: h for h in households}
    for step in steps:
        if not step["label"].startswith("household/"):
            continue
        group = step["label"].removeprefix("household/")
        taken = Counter()
        for code in step["order"]:
            key = algorithm.signature(by_code[code]["demand"])
            package = scheme.packages[group][key][taken[key]]
            taken[key] += 1
            assert scheme.allocation[code] == [a["code"] for a in package]


def test_too_few_apartments_raise_a_lottery_error_naming_what_is_missing():
    households, inventory = random_project(random.Random(11), spare=0)
    steps = algorithm.draw_all(bytes(32), households)
    some_type = inventory[-1]["type"]
    short = inventory[:-1]
    with pytest.raises(
        LotteryError, match=rf"not enough apartments for community .*{some_type} x1"
    ):
        algorithm.scheme_of(short, households, steps)
    with pytest.raises(LotteryError, match="not enough apartments"):
        algorithm.scheme_of(short, households, steps, direct=False)


# -- order-then-choose ------------------------------------------------------------------------


@pytest.fixture
def choose_case():
    households = [
        {"code": "H1", "community": "C1", "group": "G1", "demand": {"T60": 1, "T90": 1}},
        {"code": "H2", "community": "C1", "group": "G1", "demand": {"T90": 1}},
        {"code": "H3", "community": "C1", "group": "G2", "demand": {"T60": 1}},
    ]
    inventory = [
        {"code": code, "type": t, "tier": tier}
        for code, t, tier in [
            ("101", "T60", "C"),
            ("102", "T90", "C"),
            ("201", "T90", "A"),
            ("202", "T60", "A"),
            ("301", "T90", "B"),
        ]
    ]
    steps = algorithm.draw_all(bytes(32), households)
    scheme = algorithm.scheme_of(inventory, households, steps, direct=False)
    order = {s["label"]: s["order"] for s in steps}
    return households, steps, scheme, order


def test_valid_picks_give_the_allocation(choose_case):
    households, steps, scheme, order = choose_case
    assert scheme.allocation == {} and scheme.packages == {}
    share = {a["code"]: a["type"] for a in scheme.group_shares["G1"]}
    first, second = order["household/G1"]
    want = {"H1": ["T60", "T90"], "H2": ["T90"]}
    free = dict(share)
    picks = []
    for household in (first, second):
        chosen = []
        for apartment_type in want[household]:
            code = next(c for c, t in free.items() if t == apartment_type)
            del free[code]
            chosen.append(code)
        picks.append({"household": household, "apartments": chosen})
    g2 = [a["code"] for a in scheme.group_shares["G2"]]
    picks.insert(1, {"household": "H3", "apartments": g2})  # groups may interleave
    allocation = algorithm.check_picks(scheme, households, steps, picks)
    assert allocation == {p["household"]: p["apartments"] for p in picks}


def pick_error(case, picks):
    households, steps, scheme, _ = case
    with pytest.raises(LotteryError) as raised:
        algorithm.check_picks(scheme, households, steps, picks)
    return str(raised.value)


def test_picks_out_of_turn_are_refused(choose_case):
    second = choose_case[3]["household/G1"][1]
    share = [a["code"] for a in choose_case[2].group_shares["G1"] if a["type"] == "T90"]
    assert "out of turn" in pick_error(
        choose_case, [{"household": second, "apartments": share[:1]}]
    )


def test_picks_outside_the_group_share_are_refused(choose_case):
    scheme, order = choose_case[2], choose_case[3]
    g2 = scheme.group_shares["G2"][0]["code"]  # the other group's T60
    first = order["household/G1"][0]
    g1_t90 = [a["code"] for a in scheme.group_shares["G1"] if a["type"] == "T90"]
    apartments = [g2] + (g1_t90[:1] if first == "H1" else [])
    assert "not in group G1's share" in pick_error(
        choose_case, [{"household": first, "apartments": apartments}]
    )


def test_picks_of_other_types_are_refused(choose_case):
    scheme, order = choose_case[2], choose_case[3]
    first = order["household/G1"][0]
    t90 = [a["code"] for a in scheme.group_shares["G1"] if a["type"] == "T90"]
    wrong = (
        t90[:2]
        if first == "H1"
        else [a["code"] for a in scheme.group_shares["G1"] if a["type"] == "T60"]
    )
    assert "other types" in pick_error(choose_case, [{"household": first, "apartments": wrong}])


def test_an_apartment_cannot_be_picked_twice(choose_case):
    scheme, order = choose_case[2], choose_case[3]
    first, second = order["household/G1"]
    t60 = next(a["code"] for a in scheme.group_shares["G1"] if a["type"] == "T60")
    t90 = next(a["code"] for a in scheme.group_shares["G1"] if a["type"] == "T90")
    picks = [
        {"household": first, "apartments": [t60, t90] if first == "H1" else [t90]},
        {"household": second, "apartments": [t60, t90] if second == "H1" else [t90]},
    ]
    assert "already taken" in pick_error(choose_case, picks)
    one_pick_twice = [{"household": "H3", "apartments": [scheme.group_shares["G2"][0]["code"]] * 2}]
    assert "already taken" in pick_error(choose_case, one_pick_twice)


def test_a_household_picks_once_and_strangers_not_at_all(choose_case):
    g2 = [a["code"] for a in choose_case[2].group_shares["G2"]]
    twice = [{"household": "H3", "apartments": g2}, {"household": "H3", "apartments": g2}]
    assert "out of turn" in pick_error(choose_case, twice)
    assert "not a participant" in pick_error(choose_case, [{"household": "H9", "apartments": []}])
