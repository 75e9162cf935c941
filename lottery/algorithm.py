"""`rs-lottery-v1`: the randomness of DESIGN §5 and the mapping from draws to apartments.

Standard library only, no Django: this module is the whole of what decides who gets which
apartment, so it can be read (and reimplemented, as `docs/verify_lottery.py` does) on its
own. `docs/lottery.md` states the same rules in prose with test vectors.

Inputs are plain data:

- an inventory snapshot: apartments as dicts with at least `code`, `type` and `tier`
  (`A`, `B` or `C`), listed in the estate's housing orientation (the order the snapshot
  is stored and hashed in);
- participants: households as dicts with `code`, `community`, `group` and `demand`
  (apartment type code -> how many apartments of that type);
- draw orders, one per step, produced by `shuffle` from the session's seed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

ALGORITHM = "rs-lottery-v1"
ALGORITHM_V2 = "rs-lottery-v2"
ALGORITHMS = (ALGORITHM, ALGORITHM_V2)
SECRET_BYTES = 32
TIER_POINTS = {"A": 3, "B": 2, "C": 1}


class LotteryError(ValueError):
    """The inputs cannot produce an allocation (e.g. fewer apartments than demanded)."""


# -- hashing and the seed -------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The one serialisation that hashes are taken over: UTF-8, keys sorted, no spaces."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_hash(value: Any) -> str:
    return sha256_hex(canonical_json(value))


def commitment_of(server_secret: bytes) -> str:
    return sha256_hex(server_secret)


def normalise_entropy(witness_entropy: str) -> str:
    return unicodedata.normalize("NFC", witness_entropy)


def seed_of(server_secret: bytes, witness_entropy: str) -> bytes:
    """seed = SHA-256(server_secret || 0x00 || UTF-8(NFC(witness_entropy)))."""
    entropy = normalise_entropy(witness_entropy).encode("utf-8")
    return hashlib.sha256(server_secret + b"\x00" + entropy).digest()


# -- rs-lottery-v2: the commitment record and the public value (docs/lottery.md §13a) --------

# Where the public random value named in advance will be published.
PUBLIC_SOURCE_KINDS = ("welfare_lottery", "sports_lottery", "drand")
_WHITESPACE = re.compile(r"\s+")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def step_prefix_of(estate_code: str, estates: Sequence[str]) -> str:
    """The step prefix follows from the project's estates (in v2 those listed in the
    commitment record): "" when the project has one estate, "<estate code>/" when it has
    several. Fixed when a session is created (v1 and v2 alike)."""
    return f"{estate_code}/" if len(estates) > 1 else ""


def commitment_record(
    *,
    server_secret: bytes,
    project: str,
    session: str,
    estate: str,
    estates: Sequence[str],
    mode: str,
    fixed_village_order: Sequence[str] | None,
    participants_sha256: str,
    inventory_sha256: str,
    public_source: Mapping[str, Any],
) -> dict[str, Any]:
    """What a v2 session binds itself to at creation, before the hall's entropy or the
    public value exist; its SHA-256 (canonical JSON) is the published commitment."""
    estates = sorted(set(estates))
    return {
        "algorithm": ALGORITHM_V2,
        "secret_sha256": sha256_hex(server_secret),
        "project": project,
        "session": session,
        "estate": estate,
        "estates": estates,
        "step_prefix": step_prefix_of(estate, estates),
        "mode": mode,
        "fixed_village_order": list(fixed_village_order)
        if fixed_village_order is not None
        else None,
        "participants_sha256": participants_sha256,
        "inventory_sha256": inventory_sha256,
        "public_source": dict(public_source),
    }


def commitment_of_record(record: Mapping[str, Any]) -> str:
    return snapshot_hash(record)


def normalise_public_value(kind: str, value: str) -> str:
    """A lottery's published numbers: NFC, spaces at the ends removed, every run of white
    space inside one space. A drand round's randomness: lower-case hex."""
    value = unicodedata.normalize("NFC", value).strip()
    if kind == "drand":
        return value.lower()
    return _WHITESPACE.sub(" ", value)


def public_value_problem(kind: str, value: str, signature: str | None) -> str:
    """Why (value, signature) is not a well-formed public value of `kind` ("" when it is).
    English, for the verifiers; the services word their own refusals."""
    if not value:
        return "the public value is empty"
    if normalise_public_value(kind, value) != value:
        return "the public value is not in its normal form"
    if kind == "drand":
        if not _HEX64.fullmatch(value):
            return "a drand randomness is 64 lower-case hexadecimal digits"
        if not signature or not re.fullmatch(r"[0-9a-f]+", signature):
            return "a drand value needs its signature, in lower-case hexadecimal"
        if sha256_hex(bytes.fromhex(signature)) != value:
            return "the drand randomness is not SHA-256 of its signature"
    elif signature:
        return "only a drand value has a signature"
    return ""


def seed_of_v2(
    server_secret: bytes, commitment: str, public_value: str, witness_entropy: str
) -> bytes:
    """seed = SHA-256("rs-lottery-v2" || 0x00 || server_secret || commitment (32 bytes) ||
    uint32_be(len P) || P || uint32_be(len E) || E), P = UTF-8(public value),
    E = UTF-8(NFC(witness entropy))."""
    p = public_value.encode("utf-8")
    e = normalise_entropy(witness_entropy).encode("utf-8")
    return hashlib.sha256(
        ALGORITHM_V2.encode("ascii")
        + b"\x00"
        + server_secret
        + bytes.fromhex(commitment)
        + len(p).to_bytes(4, "big")
        + p
        + len(e).to_bytes(4, "big")
        + e
    ).digest()


# -- the random stream ----------------------------------------------------------------------


class Stream:
    """Blocks HMAC-SHA256(seed, UTF-8(label) || 0x00 || uint64_be(i)), i = 0, 1, 2, ..."""

    def __init__(self, seed: bytes, label: str) -> None:
        self._seed = seed
        self._prefix = label.encode("utf-8") + b"\x00"
        self._block = 0
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            message = self._prefix + self._block.to_bytes(8, "big")
            self._buffer += hmac.new(self._seed, message, hashlib.sha256).digest()
            self._block += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def uniform(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection so no value is favoured."""
        if n < 1:
            raise ValueError("uniform(n) needs n >= 1")
        limit = 2**64 - (2**64 % n)
        while True:
            x = int.from_bytes(self.read(8), "big")
            if x < limit:
                return x % n


def shuffle(seed: bytes, label: str, participants: Iterable[str]) -> list[str]:
    """The draw order of a step: Fisher–Yates over the participants in canonical order."""
    order = sorted(participants)
    stream = Stream(seed, label)
    for i in range(len(order) - 1, 0, -1):
        j = stream.uniform(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


# -- steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepPlan:
    label: str
    participants: tuple[str, ...]  # canonical order
    level: str  # "village", "group" or "household"
    parent: str = ""  # the community (group level) or group (household level) code


def village_label(prefix: str = "") -> str:
    return f"{prefix}village"


def _by_community(households: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, list[str]]]:
    tree: dict[str, dict[str, list[str]]] = {}
    for household in households:
        groups = tree.setdefault(household["community"], {})
        groups.setdefault(household["group"], []).append(household["code"])
    return tree


def group_steps(
    households: Sequence[Mapping[str, Any]], village_order: Sequence[str], prefix: str = ""
) -> list[StepPlan]:
    """The `group/<community>` steps, communities taken in the village order."""
    tree = _by_community(households)
    return [
        StepPlan(f"{prefix}group/{c}", tuple(sorted(tree[c])), "group", c) for c in village_order
    ]


def household_steps(
    households: Sequence[Mapping[str, Any]],
    village_order: Sequence[str],
    group_orders: Mapping[str, Sequence[str]],
    prefix: str = "",
) -> list[StepPlan]:
    """The `household/<group>` steps: communities in village order, groups in drawn order."""
    tree = _by_community(households)
    steps = []
    for community in village_order:
        for group in group_orders[community]:
            members = tuple(sorted(tree[community][group]))
            steps.append(StepPlan(f"{prefix}household/{group}", members, "household", group))
    return steps


def draw_all(
    seed: bytes,
    households: Sequence[Mapping[str, Any]],
    *,
    fixed_village_order: Sequence[str] | None = None,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """Every step of a session, in call order, as bundle rows {label, participants, order}.

    The village step comes first; when the villagers' resolution fixed the order of the
    communities it is recorded with `fixed: true` and not drawn. Then one group step per
    community (in village order), then one household step per group (communities in village
    order, groups in their drawn order).
    """
    communities = sorted(_by_community(households))
    label = village_label(prefix)
    if fixed_village_order is not None:
        if sorted(fixed_village_order) != communities:
            raise LotteryError("the fixed village order must list each community once")
        village = {"label": label, "participants": communities}
        village.update(order=list(fixed_village_order), fixed=True)
    else:
        village = {"label": label, "participants": communities}
        village.update(order=shuffle(seed, label, communities), fixed=False)
    steps = [village]
    group_orders = {}
    for plan in group_steps(households, village["order"], prefix):
        order = shuffle(seed, plan.label, plan.participants)
        group_orders[plan.parent] = order
        steps.append({"label": plan.label, "participants": list(plan.participants), "order": order})
    for plan in household_steps(households, village["order"], group_orders, prefix):
        order = shuffle(seed, plan.label, plan.participants)
        steps.append({"label": plan.label, "participants": list(plan.participants), "order": order})
    return steps


# -- from draw orders to apartments ---------------------------------------------------------


def demand_of(households: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for household in households:
        for apartment_type, count in household["demand"].items():
            total[apartment_type] = total.get(apartment_type, 0) + int(count)
    return total


def take(pool: Sequence[Mapping[str, Any]], need: Mapping[str, int], who: str) -> tuple[list, list]:
    """Walk `pool` in orientation order, taking apartments of each needed type until the need
    is met. Returns (taken, left), both still in orientation order."""
    wanted = {t: int(n) for t, n in need.items() if int(n) > 0}
    taken, left = [], []
    for apartment in pool:
        if wanted.get(apartment["type"], 0) > 0:
            wanted[apartment["type"]] -= 1
            taken.append(apartment)
        else:
            left.append(apartment)
    short = {t: n for t, n in wanted.items() if n > 0}
    if short:
        missing = ", ".join(f"{t} x{n}" for t, n in sorted(short.items()))
        raise LotteryError(f"not enough apartments for {who}: missing {missing}")
    return taken, left


def signature(demand: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """A household's apartment-type combination, as sorted (type, count) pairs."""
    return tuple(sorted((t, int(n)) for t, n in demand.items() if int(n) > 0))


def build_packages(
    share: Sequence[Mapping[str, Any]],
    households: Sequence[Mapping[str, Any]],
    position: Mapping[str, int],
) -> dict[tuple[tuple[str, int], ...], list[list[dict]]]:
    """ABC-balanced packages for one group, one per household, before any household draw.

    Households with the same combination form a class; classes are served in ascending
    order of their combination. A class of n households takes its apartments from the
    group's share (orientation order), then fills its n packages slot by slot: types in
    ascending code order, each type repeated as many times as the combination asks. For each
    slot the n next apartments of that type, best tier first (A=3, B=2, C=1 points; ties by
    orientation), go to the packages with the fewest points first (ties by package number).
    Then `_even_out` moves apartments between packages while that evens their points out.
    """
    classes: dict[tuple[tuple[str, int], ...], int] = {}
    for household in households:
        key = signature(household["demand"])
        classes[key] = classes.get(key, 0) + 1
    remaining = list(share)
    result = {}
    for key in sorted(classes):
        n = classes[key]
        pool, remaining = take(remaining, {t: c * n for t, c in key}, f"class {key}")
        by_type: dict[str, list] = {}
        for apartment in pool:
            by_type.setdefault(apartment["type"], []).append(apartment)
        packages: list[list[dict]] = [[] for _ in range(n)]
        points = [0] * n
        for apartment_type, count in key:
            queue = by_type[apartment_type]
            for slot in range(count):
                batch = queue[slot * n : (slot + 1) * n]
                batch.sort(key=lambda a: (-TIER_POINTS[a["tier"]], position[a["code"]]))
                poorest_first = sorted(range(n), key=lambda p: (points[p], p))
                for apartment, p in zip(batch, poorest_first, strict=True):
                    packages[p].append(apartment)
                    points[p] += TIER_POINTS[apartment["tier"]]
        _even_out(packages, points, position)
        for package in packages:
            package.sort(key=lambda a: position[a["code"]])
        result[key] = packages
    return result


def _even_out(packages: list[list[dict]], points: list[int], position: Mapping[str, int]) -> None:
    """Even out the packages' points, one improvement at a time, until none is left.

    An improvement is either a redistribution of two packages' apartments between them
    (each keeping its number of each type) that narrows their gap (`_rebalance_pair`), or,
    when no pair can, a chain that passes one point from a richest to a poorest package
    through packages that each give and receive one point (`_pass_one_point`). Both lower
    the sum of squared points, so this ends. Pairs are tried richest-against-poorest first.
    """
    while True:
        ranked = sorted(range(len(packages)), key=lambda p: (-points[p], p))
        if points[ranked[0]] - points[ranked[-1]] < 2:
            return
        improved = False
        for x, rich in enumerate(ranked):
            for poor in reversed(ranked[x + 1 :]):
                if points[rich] - points[poor] < 2:
                    continue
                pair = _rebalance_pair(packages[rich], packages[poor], position)
                if pair is not None:
                    packages[rich], packages[poor] = pair
                    points[rich] = sum(TIER_POINTS[a["tier"]] for a in pair[0])
                    points[poor] = sum(TIER_POINTS[a["tier"]] for a in pair[1])
                    improved = True
                    break
            if improved:
                break
        if not improved and not _pass_one_point(packages, points, ranked, position):
            return


def _rebalance_pair(
    rich: list[dict], poor: list[dict], position: Mapping[str, int]
) -> tuple[list[dict], list[dict]] | None:
    """The split of two packages' apartments that leaves them closest, each keeping its count
    of every type; None unless it narrows their gap. Per type, the candidate shares for the
    richer package are the combinations (itertools order) of that type's apartments sorted
    best tier first, then by orientation; the first combination reaching a sum is kept. The
    smallest gap wins; ties keep the richer package the richer, then the earliest found."""
    total = sum(TIER_POINTS[a["tier"]] for a in rich + poor)
    gap = 2 * sum(TIER_POINTS[a["tier"]] for a in rich) - total
    reachable: dict[int, list[dict]] = {0: []}
    for apartment_type in sorted({a["type"] for a in rich}):
        pool = sorted(
            (a for a in rich + poor if a["type"] == apartment_type),
            key=lambda a: (-TIER_POINTS[a["tier"]], position[a["code"]]),
        )
        shares: dict[int, tuple] = {}
        for share in combinations(pool, sum(1 for a in rich if a["type"] == apartment_type)):
            shares.setdefault(sum(TIER_POINTS[a["tier"]] for a in share), share)
        grown: dict[int, list[dict]] = {}
        for so_far, chosen in reachable.items():
            for points, share in shares.items():
                grown.setdefault(so_far + points, chosen + list(share))
        reachable = grown
    best = min(reachable, key=lambda points: (abs(2 * points - total), -points))
    if abs(2 * best - total) >= gap:
        return None
    mine = {a["code"] for a in reachable[best]}
    return reachable[best], [a for a in rich + poor if a["code"] not in mine]


def _pass_one_point(
    packages: list[list[dict]], points: list[int], ranked: list[int], position: Mapping[str, int]
) -> bool:
    """Move one point from the richest package (first in `ranked`) to a poorest one along the
    shortest chain of one-point swaps: the richest gives an apartment one tier better than
    the same-type apartment it takes back, the receiver passes one point on the same way, and
    so on. Breadth-first, packages tried in `ranked` order, each swap found on the contents
    the giver holds after its own swap. Returns False, changing nothing, when no chain exists.
    """
    richest, lowest = ranked[0], points[ranked[-1]]
    holding = {richest: list(packages[richest])}  # what a package holds once it has received
    gave: dict[int, tuple[int, int, dict]] = {}  # taker -> (giver, index at giver, apartment)
    frontier = [richest]
    while frontier:
        following = []
        for giver in frontier:
            for taker in ranked:
                if taker in holding:
                    continue
                swap = _best_swap(holding[giver], packages[taker], 2, position)
                if swap is None:
                    continue
                i, j, _d = swap
                holding[taker] = list(packages[taker])
                holding[taker][j] = holding[giver][i]
                gave[taker] = (giver, i, packages[taker][j])
                if points[taker] == lowest:
                    _settle_chain(packages, holding, gave, taker)
                    points[richest] -= 1
                    points[taker] += 1
                    return True
                following.append(taker)
        frontier = following
    return False


def _settle_chain(
    packages: list[list[dict]],
    holding: dict[int, list[dict]],
    gave: dict[int, tuple[int, int, dict]],
    last: int,
) -> None:
    """Write a found chain back: each package holds what it received, less what it passed on."""
    packages[last] = holding[last]
    taker = last
    while taker in gave:
        giver, i, taken = gave[taker]
        packages[giver] = list(holding[giver])
        packages[giver][i] = taken
        taker = giver


def _best_swap(
    rich: list[dict], poor: list[dict], gap: int, position: Mapping[str, int]
) -> tuple[int, int, int] | None:
    """The same-type swap leaving the two packages closest; ties by orientation positions."""
    best = None
    for i, a in enumerate(rich):
        for j, b in enumerate(poor):
            d = TIER_POINTS[a["tier"]] - TIER_POINTS[b["tier"]]
            if a["type"] != b["type"] or not 0 < d < gap:
                continue
            rank = (abs(gap - 2 * d), position[a["code"]], position[b["code"]])
            if best is None or rank < best[0]:
                best = (rank, i, j, d)
    return best[1:] if best else None


@dataclass
class Scheme:
    """The shares of one session's draws: who gets which part of the estate."""

    community_shares: dict[str, list[dict]] = field(default_factory=dict)
    group_shares: dict[str, list[dict]] = field(default_factory=dict)
    packages: dict[str, dict[tuple, list[list[dict]]]] = field(default_factory=dict)
    allocation: dict[str, list[str]] = field(default_factory=dict)


def scheme_of(
    inventory: Sequence[Mapping[str, Any]],
    households: Sequence[Mapping[str, Any]],
    steps: Sequence[Mapping[str, Any]],
    *,
    direct: bool = True,
) -> Scheme:
    """The one deterministic function from draw orders + inventory + demands to apartments.

    1. Housing to the village: communities in the village order each take, walking the
       estate in orientation order, as many apartments of each type as their households
       demand in total.
    2. Packaging to the group: within its community's share, each villager group in the
       drawn order takes the same way what its households demand.
    3. Lottery to the household (direct mode): the group's share is cut into ABC-balanced
       packages (`build_packages`); the households of a class, in the drawn order, take the
       class's packages in package order. In order-then-choose mode no packages are made:
       households pick inside their group's share at the console, in the drawn order.
    """
    position = {a["code"]: i for i, a in enumerate(inventory)}
    orders = {step["label"]: step["order"] for step in steps}
    village = next(step for step in steps if step["label"].endswith("village"))
    prefix = village["label"][: -len("village")]
    tree = _by_community(households)
    by_code = {h["code"]: h for h in households}
    scheme = Scheme()
    remaining = list(inventory)
    for community in village["order"]:
        members = [by_code[c] for g in tree[community].values() for c in g]
        share, remaining = take(remaining, demand_of(members), f"community {community}")
        scheme.community_shares[community] = share
        left = share
        for group in orders[f"{prefix}group/{community}"]:
            in_group = [by_code[c] for c in tree[community][group]]
            group_share, left = take(left, demand_of(in_group), f"group {group}")
            scheme.group_shares[group] = group_share
            if not direct:
                continue
            packages = build_packages(group_share, in_group, position)
            scheme.packages[group] = packages
            served: dict[tuple, int] = {}
            for code in orders[f"{prefix}household/{group}"]:
                key = signature(by_code[code]["demand"])
                index = served.get(key, 0)
                served[key] = index + 1
                scheme.allocation[code] = [a["code"] for a in packages[key][index]]
    return scheme


def check_picks(
    scheme: Scheme,
    households: Sequence[Mapping[str, Any]],
    steps: Sequence[Mapping[str, Any]],
    picks: Sequence[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """Order-then-choose: check the recorded picks and return the allocation they make.

    `picks` lists {household, apartments} in the order they were made. Within each group the
    households must pick in the drawn order, each inside its group's share, exactly its
    demanded combination, and no apartment twice.
    """
    by_code = {h["code"]: h for h in households}
    types = {a["code"]: a["type"] for share in scheme.group_shares.values() for a in share}
    household_orders = {
        step["label"].rsplit("household/", 1)[1]: list(step["order"])
        for step in steps
        if "household/" in step["label"]
    }
    next_up = {group: 0 for group in household_orders}
    taken: set[str] = set()
    allocation: dict[str, list[str]] = {}
    for number, pick in enumerate(picks, start=1):
        household = by_code.get(pick["household"])
        if household is None:
            raise LotteryError(f"pick {number}: {pick['household']} is not a participant")
        group = household["group"]
        expected = (
            household_orders[group][next_up[group]]
            if next_up[group] < len(household_orders[group])
            else None
        )
        if expected != household["code"]:
            raise LotteryError(f"pick {number}: {household['code']} picked out of turn")
        next_up[group] += 1
        share = {a["code"] for a in scheme.group_shares[group]}
        chosen: dict[str, int] = {}
        for code in pick["apartments"]:
            if code not in share:
                raise LotteryError(f"pick {number}: {code} is not in group {group}'s share")
            if code in taken:
                raise LotteryError(f"pick {number}: {code} was already taken")
            taken.add(code)
            chosen[types[code]] = chosen.get(types[code], 0) + 1
        if signature(chosen) != signature(household["demand"]):
            raise LotteryError(f"pick {number}: {household['code']} chose other types")
        allocation[household["code"]] = list(pick["apartments"])
    return allocation
