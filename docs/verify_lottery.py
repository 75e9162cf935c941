#!/usr/bin/env python3
"""Check a published rs-lottery-v1 or rs-lottery-v2 lottery bundle from the bundle alone.

    python3 verify_lottery.py bundle.json        check a bundle; exit 0 if VERIFIED, 1 if FAILED
    python3 verify_lottery.py --vectors          print the test vectors (docs/lottery.md §14)
    python3 verify_lottery.py --example-bundle   print the worked example's bundle (§15)
    python3 verify_lottery.py --edge-bundle      print the edge example's bundle (V12)
    python3 verify_lottery.py --example-bundle-v2  the worked example as rs-lottery-v2 (V13)

Standard library only, Python 3.8 or newer, one file: download it and run it. It is a second,
independent implementation written from the specification in docs/lottery.md (it does not use
the server's code); the "§" numbers in the comments point to that document's sections.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import sys
import unicodedata

ALGORITHM = "rs-lottery-v1"
ALGORITHM_V2 = "rs-lottery-v2"
PUBLIC_SOURCE_KINDS = ("welfare_lottery", "sports_lottery", "drand")
TIER_POINTS = {"A": 3, "B": 2, "C": 1}  # §10.4
TWO_64 = 2**64


class Problem(Exception):
    """One check failed; the message says what and where."""


# -- §2 canonical JSON and snapshot hashes ----------------------------------------------------


def canonical_bytes(value) -> bytes:
    """UTF-8 JSON, keys sorted, separators "," and ":", non-ASCII written as itself."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- §5 the seed ------------------------------------------------------------------------------


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def make_seed(server_secret: bytes, witness_entropy: str) -> bytes:
    """seed = SHA-256(server_secret || 0x00 || UTF-8(NFC(witness_entropy)))."""
    return hashlib.sha256(server_secret + b"\x00" + nfc(witness_entropy).encode("utf-8")).digest()


# -- §13a rs-lottery-v2: the commitment record, the public value and the seed --------------------


def v2_step_prefix(estate: str, estates) -> str:
    """§13a.2: "" when the record lists one estate, "<estate>/" when it lists several."""
    return estate + "/" if len(estates) > 1 else ""


def public_value_normal(kind: str, value: str) -> str:
    """§13a.3: NFC, trimmed; a lottery's numbers with each run of white space as one space,
    a drand randomness in lower case."""
    value = nfc(value).strip()
    return value.lower() if kind == "drand" else " ".join(value.split())


def make_seed_v2(server_secret: bytes, commitment: str, public_value: str, entropy: str) -> bytes:
    """§13a.4: SHA-256("rs-lottery-v2" 00 secret commitment len(P) P len(E) E)."""
    p = public_value.encode("utf-8")
    e = nfc(entropy).encode("utf-8")
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


def check_record(bundle: dict, secret: bytes) -> str:
    """§13a.5 checks 2a-2c: the commitment is the record's hash, the record names this secret,
    its step prefix follows from its estates, and it binds what the bundle used."""
    record = bundle["commitment_record"]
    if not isinstance(record, dict):
        raise Problem("commitment_record is not an object")
    digest = sha256_hex(canonical_bytes(record))
    if digest != bundle["commitment"]:
        raise Problem(
            f"the commitment record hashes to {digest}, the published commitment is "
            f"{bundle['commitment']}"
        )
    if record.get("algorithm") != ALGORITHM_V2:
        raise Problem(f"the record's algorithm is {record.get('algorithm')!r}")
    if record.get("secret_sha256") != sha256_hex(secret):
        raise Problem("the record's secret_sha256 is not SHA-256 of the revealed secret")
    estates, estate = record.get("estates"), record.get("estate")
    if not isinstance(estates, list) or estates != sorted(set(estates)) or estate not in estates:
        raise Problem(f"the record's estates {estates!r} are not a sorted list holding {estate!r}")
    want = v2_step_prefix(estate, estates)
    if record.get("step_prefix") != want:
        raise Problem(
            f"the record's step_prefix {record.get('step_prefix')!r} does not follow from its "
            f"estates {estates}: it must be {want!r}"
        )
    if bundle.get("step_prefix") != want:
        raise Problem(
            f"the bundle's step_prefix {bundle.get('step_prefix')!r} is not the record's {want!r}"
        )
    session = bundle.get("session") or {}
    bound = {
        "session": session.get("code"),
        "project": session.get("project"),
        "estate": session.get("estate"),
        "mode": session.get("mode"),
        "fixed_village_order": bundle.get("fixed_village_order"),
        "participants_sha256": bundle.get("participants_sha256"),
        "inventory_sha256": bundle.get("inventory_sha256"),
    }
    for name, given in bound.items():
        if record.get(name) != given:
            raise Problem(f"the bundle's {name} {given!r} is not the record's {record.get(name)!r}")
    return f"commitment = SHA-256(record), step_prefix {want!r} from estates {' '.join(estates)}"


def check_public_value(bundle: dict) -> str:
    """§13a.3: the public value is in the form its source's kind asks; a drand randomness is
    SHA-256 of the signature given with it (the signature itself is checked against the drand
    chain by the reader, §13a.6)."""
    source = bundle["commitment_record"].get("public_source") or {}
    kind = source.get("kind")
    value, signature = bundle["public_value"], bundle.get("public_signature")
    if kind not in PUBLIC_SOURCE_KINDS:
        raise Problem(f"the record names no public source of a known kind ({kind!r})")
    if not isinstance(value, str) or not value:
        raise Problem("public_value is empty or not a string")
    if public_value_normal(kind, value) != value:
        raise Problem(f"public_value {value!r} is not in its normal form (§13a.3)")
    if kind == "drand":
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise Problem("a drand randomness is 64 lower-case hexadecimal digits")
        if not isinstance(signature, str) or not signature:
            raise Problem("a drand public value needs its signature")
        digest = sha256_hex(_hex(signature, "public_signature"))
        if digest != value:
            raise Problem(
                f"the drand randomness {value} is not SHA-256 of the signature ({digest})"
            )
        return f"drand round {source.get('round')}: randomness = SHA-256(signature)"
    if signature:
        raise Problem("only a drand public value carries a signature")
    return f"{source.get('game')} draw {source.get('draw')} of {source.get('date')}: {value}"


# -- §6 the random stream, §7 uniform(n), §8 shuffle -------------------------------------------


def stream_block(seed: bytes, label: str, i: int) -> bytes:
    """Block i of the stream for step `label`: HMAC-SHA256(seed, UTF-8(label) 0x00 uint64_be(i))."""
    message = label.encode("utf-8") + b"\x00" + i.to_bytes(8, "big")
    return hmac.new(seed, message, hashlib.sha256).digest()


class RandomStream:
    """The blocks of one step's stream, concatenated and read 8 bytes at a time."""

    def __init__(self, seed: bytes, label: str) -> None:
        self.seed = seed
        self.label = label
        self.blocks_used = 0
        self.unread = bytearray()
        self.draws = []  # every 8-byte value read, with whether uniform() kept it (--vectors)

    def next_uint64(self) -> int:
        while len(self.unread) < 8:
            self.unread += stream_block(self.seed, self.label, self.blocks_used)
            self.blocks_used += 1
        value = int.from_bytes(bytes(self.unread[:8]), "big")
        del self.unread[:8]
        return value

    def uniform(self, n: int) -> int:
        """§7: x from 8 bytes; throw x away while x >= 2**64 - (2**64 mod n); answer x mod n."""
        if n < 1:
            raise ValueError("uniform(n) needs n >= 1")
        limit = TWO_64 - TWO_64 % n
        while True:
            x = self.next_uint64()
            kept = x < limit
            self.draws.append((x, kept))
            if kept:
                return x % n


def shuffle(seed: bytes, label: str, codes) -> list:
    """§8: Fisher-Yates from the end over the canonical order (sorted by code points)."""
    items = sorted(codes)
    stream = RandomStream(seed, label)
    for i in range(len(items) - 1, 0, -1):
        j = stream.uniform(i + 1)
        items[i], items[j] = items[j], items[i]
    return items


# -- §9 the steps and their call order ---------------------------------------------------------


def community_tree(participants) -> dict:
    """community code -> group code -> household codes; a group must sit in one community."""
    tree = {}
    home = {}
    for household in participants:
        community, group = household["community"], household["group"]
        if home.setdefault(group, community) != community:
            raise Problem(f"group {group} appears in communities {home[group]} and {community}")
        tree.setdefault(community, {}).setdefault(group, []).append(household["code"])
    return tree


def expected_steps(seed: bytes, participants, prefix: str = "", fixed_village_order=None) -> list:
    """All steps in call order (§9): the village step, one `group/<community>` step per
    community in village order, then one `household/<group>` step per group (communities in
    village order, groups in their community's drawn order)."""
    tree = community_tree(participants)
    communities = sorted(tree)
    label = prefix + "village"
    if fixed_village_order is None:
        village = {"label": label, "participants": communities}
        village["order"] = shuffle(seed, label, communities)
        village["fixed"] = False
    else:
        if sorted(fixed_village_order) != communities:
            raise Problem(
                f"fixed_village_order {list(fixed_village_order)} does not list each of the "
                f"communities {communities} exactly once"
            )
        village = {"label": label, "participants": communities}
        village["order"] = list(fixed_village_order)
        village["fixed"] = True
    steps = [village]
    drawn_groups = {}
    for community in village["order"]:
        label = f"{prefix}group/{community}"
        groups = sorted(tree[community])
        drawn_groups[community] = shuffle(seed, label, groups)
        steps.append({"label": label, "participants": groups, "order": drawn_groups[community]})
    for community in village["order"]:
        for group in drawn_groups[community]:
            label = f"{prefix}household/{group}"
            members = sorted(tree[community][group])
            steps.append(
                {"label": label, "participants": members, "order": shuffle(seed, label, members)}
            )
    return steps


# -- §10 from draw orders to apartments --------------------------------------------------------


class Estate:
    """The inventory snapshot, by position in orientation order (position 0 comes first)."""

    def __init__(self, inventory) -> None:
        self.code = [a["code"] for a in inventory]
        self.type = [a["type"] for a in inventory]
        self.points = []
        for a in inventory:
            if a["tier"] not in TIER_POINTS:
                raise Problem(f"apartment {a['code']}: tier {a['tier']!r} is not A, B or C")
            self.points.append(TIER_POINTS[a["tier"]])
        if len(set(self.code)) != len(self.code):
            raise Problem("the inventory lists an apartment code twice")
        self.position = {code: i for i, code in enumerate(self.code)}

    def take(self, pool: list, need: dict, who: str):
        """§10.1: walk `pool` (positions, in orientation order) and take the first apartments
        of each type until `need` (type -> count) is met. Returns (taken, rest)."""
        missing = {t: int(n) for t, n in need.items() if int(n) > 0}
        taken, rest = [], []
        for p in pool:
            if missing.get(self.type[p], 0) > 0:
                missing[self.type[p]] -= 1
                taken.append(p)
            else:
                rest.append(p)
        short = sorted((t, n) for t, n in missing.items() if n > 0)
        if short:
            listed = ", ".join(f"{t} x{n}" for t, n in short)
            raise Problem(f"not enough apartments for {who}: missing {listed}")
        return taken, rest

    def total(self, package) -> int:
        return sum(self.points[p] for p in package)


def combination_of(demand: dict) -> tuple:
    """§10.3: a demand as its sorted (type code, count) pairs, zero counts left out."""
    return tuple(sorted((t, int(n)) for t, n in demand.items() if int(n) > 0))


def total_demand(households) -> dict:
    need = {}
    for household in households:
        for apartment_type, count in household["demand"].items():
            need[apartment_type] = need.get(apartment_type, 0) + int(count)
    return need


def deal_packages(estate: Estate, pool: list, combination: tuple, n: int):
    """§10.4: n packages of one combination from the class's apartments (orientation order),
    slot by slot, before any evening out. Returns (packages, points)."""
    packages = [[] for _ in range(n)]
    points = [0] * n
    for apartment_type, count in combination:
        of_type = [p for p in pool if estate.type[p] == apartment_type]
        for slot in range(count):
            # The slot's n apartments, best tier first (ties: earlier in orientation) ...
            batch = sorted(of_type[slot * n : (slot + 1) * n], key=lambda p: (-estate.points[p], p))
            # ... go to the packages holding the fewest points first (ties: lower number).
            receivers = sorted(range(n), key=lambda k: (points[k], k))
            for i, apartment in enumerate(batch):
                k = receivers[i]
                packages[k].append(apartment)
                points[k] += estate.points[apartment]
    return packages, points


def make_packages(estate: Estate, pool: list, combination: tuple, n: int, trace=None) -> list:
    """§10.4 then §10.5: the class's n packages, each in orientation order. `trace`, a list,
    receives each evening-out move (for the test vectors)."""
    packages, points = deal_packages(estate, pool, combination, n)
    even_out(estate, packages, points, trace)
    return [sorted(package) for package in packages]


def even_out(estate: Estate, packages: list, points: list, trace=None) -> None:
    """§10.5: repeat (a) the first pair that can be rebalanced, else (b) one point passed along
    a chain, until the packages are within one point or neither applies."""
    while True:
        ranked = sorted(range(len(packages)), key=lambda k: (-points[k], k))
        if points[ranked[0]] - points[ranked[-1]] <= 1:
            return
        if rebalance_first_pair(estate, packages, points, ranked, trace):
            continue
        if pass_one_point(estate, packages, points, ranked, trace):
            continue
        return


def rebalance_first_pair(estate: Estate, packages: list, points: list, ranked: list, trace=None):
    """§10.5 (a): richest package first; against it the poorest first, then the next poorest...;
    the first pair (gap of 2 or more) whose best split narrows the gap is rebalanced."""
    for x, rich in enumerate(ranked):
        for poor in reversed(ranked[x + 1 :]):
            if points[rich] - points[poor] < 2:
                continue
            split = best_split(estate, packages[rich], packages[poor])
            if split is not None:
                packages[rich], packages[poor] = split
                points[rich] = estate.total(split[0])
                points[poor] = estate.total(split[1])
                if trace is not None:
                    trace.append(("pair", [rich, poor]))
                return True
    return False


def reachable_sums(estate: Estate, rich: list, poor: list, tables=None) -> dict:
    """§10.5 (a): points R's part can reach -> the first apartments found reaching them.

    Types in ascending code order; each type starts a fresh table (a sum reached only by
    earlier types is dropped: R takes its count of every type). Sums reached so far, in the
    order first reached, are the outer loop; the type's options, in the order first found,
    the inner loop; a sum already in the new table keeps its first way. `tables`, a list,
    receives (type, table) after each type (for the test vectors)."""
    both = rich + poor
    reach = {0: []}
    for apartment_type in sorted({estate.type[p] for p in rich}):
        candidates = sorted(
            (p for p in both if estate.type[p] == apartment_type),
            key=lambda p: (-estate.points[p], p),
        )
        size = sum(1 for p in rich if estate.type[p] == apartment_type)
        options = {}  # point sum -> first subset (in lexicographic order) with that sum
        for subset in itertools.combinations(candidates, size):
            options.setdefault(sum(estate.points[p] for p in subset), list(subset))
        widened = {}
        for reached, chosen in reach.items():
            for extra, subset in options.items():
                widened.setdefault(reached + extra, chosen + subset)
        reach = widened
        if tables is not None:
            tables.append((apartment_type, dict(reach)))
    return reach


def best_split(estate: Estate, rich: list, poor: list):
    """§10.5 (a): the split of two packages' apartments (each keeping its count of every type)
    leaving them closest; None unless it narrows their gap."""
    both = rich + poor
    total = estate.total(both)
    gap = estate.total(rich) - estate.total(poor)
    reach = reachable_sums(estate, rich, poor)
    # Closest to half the total; of two equally close sums the larger (the richer stays richer).
    best = min(reach, key=lambda s: (abs(2 * s - total), -s))
    if abs(2 * best - total) >= gap:
        return None
    mine = set(reach[best])
    return reach[best], [p for p in both if p not in mine]


def one_tier_swap(estate: Estate, giver: list, taker: list):
    """§10.5 (b): the giver's apartment one tier better than a same-type apartment of the
    taker, earliest in orientation; then the taker's earliest such apartment. None if none."""
    found = None
    for a in giver:
        for b in taker:
            same_type = estate.type[a] == estate.type[b]
            one_tier = estate.points[a] - estate.points[b] == 1
            if same_type and one_tier and (found is None or (a, b) < found):
                found = (a, b)
    return found


def pass_one_point(estate: Estate, packages: list, points: list, ranked: list, trace=None):
    """§10.5 (b): breadth-first from the richest package, find the shortest chain of one-tier
    swaps ending at a package with the lowest points, and carry it out."""
    richest = ranked[0]
    lowest = points[ranked[-1]]
    holds = {richest: list(packages[richest])}  # contents once the package has received
    came_from = {}  # taker -> (giver, apartment given, apartment taken back)
    frontier = [richest]
    while frontier:
        next_frontier = []
        for giver in frontier:
            for taker in ranked:
                if taker in holds:
                    continue
                swap = one_tier_swap(estate, holds[giver], packages[taker])
                if swap is None:
                    continue
                given, taken_back = swap
                holds[taker] = [given if p == taken_back else p for p in packages[taker]]
                came_from[taker] = (giver, given, taken_back)
                if points[taker] == lowest:  # as soon as one is reached: the round stops
                    packages[taker] = holds[taker]
                    link, chain = taker, [taker]
                    while link in came_from:
                        giver_of, given_of, back = came_from[link]
                        packages[giver_of] = [back if p == given_of else p for p in holds[giver_of]]
                        link = giver_of
                        chain.insert(0, link)
                    if trace is not None:
                        trace.append(("chain", chain))
                    points[richest] -= 1
                    points[taker] += 1
                    return True
                next_frontier.append(taker)
        frontier = next_frontier
    return False


def shares_and_packages(estate: Estate, participants, steps: list, make: bool = True):
    """§10.1-§10.4: community shares, group shares and (direct mode) each group's packages.

    Returns (community_shares, group_shares, packages) with apartment positions;
    packages: group -> combination -> list of packages."""
    tree = community_tree(participants)
    by_code = {h["code"]: h for h in participants}
    order_of = {step["label"]: step["order"] for step in steps}
    village = steps[0]
    prefix = village["label"][: len(village["label"]) - len("village")]
    community_shares, group_shares, packages = {}, {}, {}
    rest = list(range(len(estate.code)))
    for community in village["order"]:
        members = [by_code[c] for codes in tree[community].values() for c in codes]
        share, rest = estate.take(rest, total_demand(members), f"community {community}")
        community_shares[community] = share
        for group in order_of[f"{prefix}group/{community}"]:
            households = [by_code[c] for c in tree[community][group]]
            group_share, share = estate.take(share, total_demand(households), f"group {group}")
            group_shares[group] = group_share
            if not make:
                continue
            classes = {}
            for household in households:
                combination = combination_of(household["demand"])
                classes[combination] = classes.get(combination, 0) + 1
            packages[group] = {}
            left = group_share
            for combination in sorted(classes):  # §10.3: classes in ascending combination
                n = classes[combination]
                need = {t: count * n for t, count in combination}
                pool, left = estate.take(left, need, f"group {group}, combination {combination}")
                packages[group][combination] = make_packages(estate, pool, combination, n)
    return community_shares, group_shares, packages


def household_orders(steps: list) -> dict:
    """group code -> its drawn household order, from the `<prefix>household/<group>` steps."""
    village = steps[0]["label"]
    start = village[: len(village) - len("village")] + "household/"
    return {
        s["label"][len(start) :]: list(s["order"]) for s in steps if s["label"].startswith(start)
    }


def direct_allocation(inventory, participants, steps: list) -> dict:
    """§10.6: household code -> apartment codes (orientation order), direct mode."""
    estate = Estate(inventory)
    by_code = {h["code"]: h for h in participants}
    _, _, packages = shares_and_packages(estate, participants, steps)
    allocation = {}
    for group, order in household_orders(steps).items():
        served = {}
        for code in order:
            combination = combination_of(by_code[code]["demand"])
            k = served.get(combination, 0)
            served[combination] = k + 1
            allocation[code] = [estate.code[p] for p in packages[group][combination][k]]
    return allocation


def picked_allocation(inventory, participants, steps: list, picks) -> dict:
    """§10.7: check order-then-choose picks; return the allocation they make."""
    estate = Estate(inventory)
    by_code = {h["code"]: h for h in participants}
    _, group_shares, _ = shares_and_packages(estate, participants, steps, make=False)
    turn_order = household_orders(steps)
    turns_taken = {group: 0 for group in turn_order}
    used = set()
    allocation = {}
    for number, pick in enumerate(picks, start=1):
        household = by_code.get(pick["household"])
        if household is None:
            raise Problem(f"pick {number}: {pick['household']} is not a participant")
        group = household["group"]
        queue = turn_order[group]
        due = queue[turns_taken[group]] if turns_taken[group] < len(queue) else None
        if due != household["code"]:
            raise Problem(
                f"pick {number}: {household['code']} picked out of turn in group {group}"
                f" (next in the drawn order: {due})"
            )
        turns_taken[group] += 1
        share = {estate.code[p] for p in group_shares[group]}
        chosen = {}
        for code in pick["apartments"]:
            if code not in share:
                raise Problem(f"pick {number}: {code} is not in group {group}'s share")
            if code in used:
                raise Problem(f"pick {number}: {code} was already taken")
            used.add(code)
            apartment_type = estate.type[estate.position[code]]
            chosen[apartment_type] = chosen.get(apartment_type, 0) + 1
        if combination_of(chosen) != combination_of(household["demand"]):
            raise Problem(
                f"pick {number}: {household['code']} chose {combination_of(chosen)}, "
                f"its demand is {combination_of(household['demand'])}"
            )
        allocation[household["code"]] = list(pick["apartments"])
    return allocation


# -- §13 checking a bundle --------------------------------------------------------------------

REQUIRED = [
    "algorithm",
    "session",
    "commitment",
    "server_secret",
    "witness_entropy",
    "seed",
    "participants",
    "inventory",
    "steps",
    "allocation",
]
REQUIRED_V2 = ["commitment_record", "public_value", "step_prefix"]


class Report:
    def __init__(self) -> None:
        self.lines = []
        self.problems = []

    def ok(self, text: str) -> None:
        self.lines.append(f"  [ok]   {text}")

    def fail(self, text: str) -> None:
        self.lines.append(f"  [FAIL] {text}")
        self.problems.append(text)

    def skip(self, text: str) -> None:
        self.lines.append(f"  [skip] {text}")

    def check(self, title: str, test) -> object:
        """Run one check: `test()` returns a detail (or None) or raises Problem."""
        try:
            detail = test()
        except Problem as problem:
            self.fail(f"{title}: {problem}")
            return None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            self.fail(f"{title}: malformed bundle ({type(error).__name__}: {error})")
            return None
        self.ok(f"{title}: {detail}" if isinstance(detail, str) else title)
        return detail if detail is not None else True


def _hex(value, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise Problem(f"{what} is not hexadecimal") from None


def _allocation_map(rows, what: str) -> dict:
    """household -> apartments as listed; rows must come in household-code order (§12)."""
    result = {}
    previous = None
    for row in rows:
        household = row["household"]
        if household in result:
            raise Problem(f"{what} lists household {household} twice")
        if previous is not None and household < previous:
            raise Problem(f"{what} is not in household-code order: {household} after {previous}")
        previous = household
        result[household] = list(row["apartments"])
    return result


def _compare_allocation(bundle_rows, expected: dict, what: str) -> str:
    """§13.8: the bundle's allocation equals the expected one as an ordered list: rows in
    household-code order, each row's apartments in code-point order."""
    stated = _allocation_map(bundle_rows, "the allocation")
    for household in sorted(set(stated) | set(expected)):
        if household not in stated:
            raise Problem(f"household {household} is missing from the allocation ({what})")
        if household not in expected:
            raise Problem(f"household {household} should not be in the allocation ({what})")
        want = sorted(expected[household])
        if stated[household] != want:
            if sorted(stated[household]) == want:
                raise Problem(
                    f"household {household}: the apartments {stated[household]} are not listed "
                    f"in code-point order {want}"
                )
            raise Problem(
                f"household {household}: the bundle gives {stated[household]}, {what} gives {want}"
            )
    every = [code for codes in stated.values() for code in codes]
    if len(every) != len(set(every)):
        raise Problem("an apartment is given to two households")
    return f"{len(stated)} households, {len(every)} apartments, identical"


def _compare_steps(stated: list, expected: list) -> str:
    for number, want in enumerate(expected, start=1):
        if number > len(stated):
            raise Problem(f"step {number} ({want['label']}) is missing")
        got = stated[number - 1]
        name = f"step {number} ({want['label']})"
        if got.get("label") != want["label"]:
            raise Problem(f"step {number}: label {got.get('label')!r}, expected {want['label']!r}")
        if list(got.get("participants", [])) != want["participants"]:
            raise Problem(
                f"{name}: participants {got.get('participants')} differ from the snapshot's "
                f"canonical list {want['participants']}"
            )
        if list(got.get("order", [])) != want["order"]:
            raise Problem(
                f"{name}: order {got.get('order')} differs from the recomputed {want['order']}"
            )
        if "fixed" in want and bool(got.get("fixed", False)) != want["fixed"]:
            raise Problem(f"{name}: fixed is {got.get('fixed')}, expected {want['fixed']}")
    if len(stated) > len(expected):
        extra = stated[len(expected)]
        raise Problem(f"step {len(expected) + 1} ({extra.get('label')}) should not exist")
    return f"{len(expected)} steps, labels, canonical participants and orders identical"


def _call_order_complete(stated: list, participants, prefix: str) -> str:
    """§9: one village step, then exactly one step per community and per group, each listing
    exactly its members."""
    tree = community_tree(participants)
    labels = [step["label"] for step in stated]
    if len(labels) != len(set(labels)):
        raise Problem("a step label appears twice")
    if not stated or stated[0]["label"] != prefix + "village":
        raise Problem(f"the first step must be {prefix}village")
    if sorted(stated[0]["participants"]) != sorted(tree):
        raise Problem("the village step does not list exactly the participants' communities")
    want = {}
    for community, groups in tree.items():
        want[f"{prefix}group/{community}"] = sorted(groups)
        for group, members in groups.items():
            want[f"{prefix}household/{group}"] = sorted(members)
    got = {step["label"]: sorted(step["participants"]) for step in stated[1:]}
    for label in sorted(set(want) | set(got)):
        if label not in got:
            raise Problem(f"step {label} is missing")
        if label not in want:
            raise Problem(f"step {label} matches no community or group of the participants")
        for code in want[label]:
            if code not in got[label]:
                raise Problem(f"step {label} lacks {code}, a participant in the snapshot")
        for code in got[label]:
            if code not in want[label]:
                raise Problem(f"step {label} lists {code}, who is not among the participants")
        if len(got[label]) != len(want[label]):
            raise Problem(f"step {label} lists a participant twice")
    for step in stated:
        if sorted(step["order"]) != sorted(step["participants"]):
            raise Problem(
                f"step {step['label']}: the order is not a permutation of its participants"
            )
    groups = sum(len(g) for g in tree.values())
    return f"1 village + {len(tree)} group + {groups} household steps, every member once"


def verify(bundle: dict) -> Report:
    """Every check of §13, in order; later checks run even when an earlier one failed."""
    report = Report()
    missing = [name for name in REQUIRED if name not in bundle]
    if missing:
        report.fail(f"the bundle lacks the fields {', '.join(missing)}")
        return report
    v2 = bundle["algorithm"] == ALGORITHM_V2
    report.check(
        "algorithm is rs-lottery-v1 or rs-lottery-v2",
        lambda: _expect(
            bundle["algorithm"] in (ALGORITHM, ALGORITHM_V2),
            f"algorithm is {bundle['algorithm']!r}",
        ),
    )
    if v2:
        lacking = [name for name in REQUIRED_V2 if name not in bundle]
        if lacking:
            report.fail(f"an rs-lottery-v2 bundle lacks the fields {', '.join(lacking)}")
            return report

    secret = report.check(
        "server_secret is hex", lambda: _hex(bundle["server_secret"], "server_secret")
    )
    if isinstance(secret, bytes) and v2:
        report.check(
            "the commitment record binds the session (§13a)", lambda: check_record(bundle, secret)
        )
        report.check("public value well formed (§13a.3)", lambda: check_public_value(bundle))
    elif isinstance(secret, bytes):
        report.check(
            "commitment = SHA-256(server_secret)",
            lambda: _expect(
                sha256_hex(secret) == bundle["commitment"],
                f"SHA-256 of the revealed secret is {sha256_hex(secret)}, "
                f"the published commitment is {bundle['commitment']}",
            ),
        )
    entropy = bundle["witness_entropy"]
    report.check(
        "witness_entropy is NFC",
        lambda: _expect(nfc(entropy) == entropy, "witness_entropy is not in NFC form"),
    )
    seed = None
    if isinstance(secret, bytes) and v2:
        seed = report.check(
            "seed = SHA-256(v2 || 00 || secret || commitment || public value || entropy) (§13a.4)",
            lambda: _v2_seed(bundle, secret, entropy),
        )
        seed = seed if isinstance(seed, bytes) else None
    elif isinstance(secret, bytes):
        seed = make_seed(secret, entropy)
        report.check(
            "seed = SHA-256(server_secret || 00 || UTF-8(witness_entropy))",
            lambda: _expect(
                seed.hex() == bundle["seed"],
                f"recomputed seed {seed.hex()} differs from the bundle's {bundle['seed']}",
            ),
        )
    for name in ("participants", "inventory"):
        if f"{name}_sha256" in bundle:
            digest = sha256_hex(canonical_bytes(bundle[name]))
            report.check(
                f"{name}_sha256 = SHA-256(canonical JSON of {name})",
                lambda d=digest, n=name: _expect(
                    d == bundle[f"{n}_sha256"],
                    f"the {n} snapshot hashes to {d}, "
                    f"the confirmed hash is {bundle[f'{n}_sha256']}",
                ),
            )
        else:
            report.skip(f"{name}_sha256 absent from the bundle")

    participants, inventory, stated_steps = (
        bundle["participants"],
        bundle["inventory"],
        bundle["steps"],
    )
    report.check("participants are well formed", lambda: _participants_ok(participants))
    estate = report.check(
        "inventory is well formed", lambda: f"{len(Estate(inventory).code)} apartments"
    )

    prefix = bundle.get("step_prefix")
    if prefix is None:
        first = stated_steps[0]["label"] if stated_steps else "village"
        prefix = first[: len(first) - len("village")] if first.endswith("village") else ""
    fixed = bundle.get("fixed_village_order")
    report.check(
        "call order complete", lambda: _call_order_complete(stated_steps, participants, prefix)
    )
    steps = None
    if seed is not None:
        recomputed = report.check(
            "steps recomputed from the seed",
            lambda: expected_steps(seed, participants, prefix, fixed),
        )
        if isinstance(recomputed, list):
            steps = recomputed
            report.check(
                "steps identical to the bundle", lambda: _compare_steps(stated_steps, steps)
            )
    else:
        report.skip("steps: no seed to recompute them from")

    mode = (bundle.get("session") or {}).get("mode") or (
        "choose" if bundle.get("picks") is not None else "direct"
    )
    if steps is None or estate is None:
        report.skip("allocation: needs the recomputed steps and a readable inventory")
    elif mode == "direct":
        expected = report.check(
            "allocation recomputed (direct mode)",
            lambda: direct_allocation(inventory, participants, steps),
        )
        if isinstance(expected, dict):
            report.check(
                "allocation identical to the bundle",
                lambda: _compare_allocation(bundle["allocation"], expected, "the recomputation"),
            )
    elif mode == "choose":
        picks = bundle.get("picks") or []
        chosen = report.check(
            f"{len(picks)} picks valid (order-then-choose mode)",
            lambda: picked_allocation(inventory, participants, steps, picks),
        )
        if isinstance(chosen, dict):
            report.check(
                "allocation identical to the picks",
                lambda: _compare_allocation(bundle["allocation"], chosen, "the picks"),
            )
            # A signed session is closed only once every household has picked.
            waiting = sorted(h["code"] for h in participants if h["code"] not in chosen)
            if waiting:
                report.fail(f"households made no pick: {', '.join(waiting)}")
    else:
        report.fail(f"session mode {mode!r} is neither direct nor choose")
    if "merkle_root" in bundle:  # §17; bundles from before household receipts have none
        report.check("merkle_root recomputed from the allocation rows", lambda: _check_root(bundle))
    return report


# -- §17 household receipts: the Merkle tree of the allocation rows -----------------------------


def merkle_leaf(row) -> bytes:
    """SHA-256(0x00 || canonical JSON of the row's household and apartments)."""
    hashed = {"household": row["household"], "apartments": list(row["apartments"])}
    return hashlib.sha256(b"\x00" + canonical_bytes(hashed)).digest()


def merkle_root(rows) -> str:
    """The root over the rows in the order given; an odd last node goes up unchanged."""
    if not rows:
        return sha256_hex(b"")
    level = [merkle_leaf(row) for row in rows]
    while len(level) > 1:
        up = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            up.append(level[-1])
        level = up
    return level[0].hex()


def _check_root(bundle: dict) -> str:
    rows = bundle["allocation"]
    root = merkle_root(rows if isinstance(rows, list) else [])
    if root != bundle["merkle_root"]:
        raise Problem(
            f"the allocation rows' Merkle root is {root}, the bundle says {bundle['merkle_root']}"
        )
    return root


def _v2_seed(bundle: dict, secret: bytes, entropy: str) -> bytes:
    seed = make_seed_v2(
        secret, _hex(bundle["commitment"], "commitment").hex(), bundle["public_value"], entropy
    )
    _expect(
        seed.hex() == bundle["seed"],
        f"recomputed seed {seed.hex()} differs from the bundle's {bundle['seed']}",
    )
    return seed


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise Problem(problem)


def _participants_ok(participants) -> str:
    codes = [h["code"] for h in participants]
    if len(codes) != len(set(codes)):
        raise Problem("a household code appears twice")
    for household in participants:
        for apartment_type, count in household["demand"].items():
            if not isinstance(count, int) or count < 0:
                raise Problem(f"{household['code']}: demand {apartment_type} x{count!r}")
    tree = community_tree(participants)
    groups = sum(len(g) for g in tree.values())
    return f"{len(codes)} households in {groups} groups of {len(tree)} communities"


# -- §14 test vectors, §15 worked example ------------------------------------------------------

VECTOR_SECRET = bytes(range(32))
VECTOR_ENTROPY = "3-1-4-1-5 九二六"
VECTOR_LETTERS = [chr(ord("A") + i) for i in range(10)]

# Two three-storey buildings along the orientation, one stair each, two apartments a floor:
# (code, building, floor, type, tier, area). The estate's floor rule: 1 = C, 2 = A, 3 = B.
EXAMPLE_ROWS = [
    ("1-1-101", "1", 1, "T90", "C", "90.12"),
    ("1-1-102", "1", 1, "T90", "C", "89.80"),
    ("1-1-201", "1", 2, "T90", "A", "90.12"),
    ("1-1-202", "1", 2, "T60", "A", "60.35"),
    ("1-1-301", "1", 3, "T90", "B", "90.12"),
    ("1-1-302", "1", 3, "T90", "B", "89.80"),
    ("2-1-101", "2", 1, "T90", "C", "90.12"),
    ("2-1-102", "2", 1, "T60", "C", "60.35"),
    ("2-1-201", "2", 2, "T60", "A", "60.35"),
    ("2-1-202", "2", 2, "T90", "A", "89.80"),
    ("2-1-301", "2", 3, "T90", "B", "90.12"),
    ("2-1-302", "2", 3, "T90", "B", "89.80"),
]
EXAMPLE_INVENTORY = [
    {"code": c, "building": b, "stair": "1", "floor": f, "type": t, "tier": r, "area": a}
    for c, b, f, t, r, a in EXAMPLE_ROWS
]

EXAMPLE_PARTICIPANTS = [
    {"code": "H01", "community": "C01", "group": "G01", "demand": {"T90": 2}},
    {"code": "H02", "community": "C01", "group": "G01", "demand": {"T90": 2}},
    {"code": "H03", "community": "C01", "group": "G01", "demand": {"T60": 1, "T90": 1}},
    {"code": "H04", "community": "C01", "group": "G02", "demand": {"T60": 1}},
    {"code": "H05", "community": "C01", "group": "G02", "demand": {"T90": 1}},
    {"code": "H06", "community": "C02", "group": "G03", "demand": {"T90": 1}},
    {"code": "H07", "community": "C02", "group": "G03", "demand": {"T60": 1, "T90": 1}},
    {"code": "H08", "community": "C02", "group": "G03", "demand": {"T90": 1}},
]


def example_bundle(inventory=None, participants=None, code: str = "EXAMPLE-1") -> dict:
    """The worked example of §15 as a complete direct-mode bundle (it verifies); with other
    snapshots, the same session around them (the edge example of V12)."""
    inventory = EXAMPLE_INVENTORY if inventory is None else inventory
    participants = EXAMPLE_PARTICIPANTS if participants is None else participants
    seed = make_seed(VECTOR_SECRET, VECTOR_ENTROPY)
    steps = expected_steps(seed, participants)
    allocation = direct_allocation(inventory, participants, steps)
    return {
        "algorithm": ALGORITHM,
        "session": {
            "code": code,
            "project": "EXAMPLE",
            "title": "Worked example of docs/lottery.md",
            "created_at": "2024-05-01T01:00:00Z",
            "committed_at": "2024-05-01T01:00:00Z",
            "entropy_at": "2024-05-18T01:30:00Z",
            "closed_at": "2024-05-18T02:00:00Z",
            "estate": "E1",
            "mode": "direct",
        },
        "commitment": sha256_hex(VECTOR_SECRET),
        "server_secret": VECTOR_SECRET.hex(),
        "witness_entropy": VECTOR_ENTROPY,
        "seed": seed.hex(),
        "step_prefix": "",
        "fixed_village_order": None,
        "participants": participants,
        "participants_sha256": sha256_hex(canonical_bytes(participants)),
        "inventory": inventory,
        "inventory_sha256": sha256_hex(canonical_bytes(inventory)),
        "steps": steps,
        "allocation": [
            {"household": code, "apartments": sorted(allocation[code])}
            for code in sorted(allocation)
        ],
    }


# V13 (§13a): the worked example as an rs-lottery-v2 session. Its public value was named in
# advance: the 福彩3D draw 2024130 of 17 May 2024 (here with made-up numbers "3 8 1"); the
# drand variant uses a made-up 48-byte signature 0x01 … 0x30 (so its randomness is SHA-256 of
# those bytes), only to show the arithmetic.
V13_LOTTERY = {"kind": "welfare_lottery", "game": "福彩3D", "draw": "2024130", "date": "2024-05-17"}
V13_LOTTERY_VALUE = "3 8 1"
V13_DRAND = {"kind": "drand", "chain": "ab" * 32, "round": 1000}
V13_SIGNATURE = bytes(range(1, 49))


def v2_record(bundle: dict, public_source: dict, estates=("E1",)) -> dict:
    """§13a.2: the commitment record of a session like `bundle` (its snapshots and settings)."""
    session = bundle["session"]
    estates = sorted(set(estates))
    return {
        "algorithm": ALGORITHM_V2,
        "secret_sha256": sha256_hex(VECTOR_SECRET),
        "project": session["project"],
        "session": session["code"],
        "estate": session["estate"],
        "estates": estates,
        "step_prefix": v2_step_prefix(session["estate"], estates),
        "mode": session["mode"],
        "fixed_village_order": bundle["fixed_village_order"],
        "participants_sha256": bundle["participants_sha256"],
        "inventory_sha256": bundle["inventory_sha256"],
        "public_source": public_source,
    }


def example_bundle_v2() -> dict:
    """V13: the worked example of §15 as an rs-lottery-v2 bundle (it verifies)."""
    bundle = example_bundle(code="EXAMPLE-V2")
    record = v2_record(bundle, V13_LOTTERY)
    commitment = sha256_hex(canonical_bytes(record))
    seed = make_seed_v2(VECTOR_SECRET, commitment, V13_LOTTERY_VALUE, VECTOR_ENTROPY)
    steps = expected_steps(seed, bundle["participants"])
    allocation = direct_allocation(bundle["inventory"], bundle["participants"], steps)
    bundle["session"]["public_value_at"] = "2024-05-18T01:35:00Z"
    bundle.update(
        {
            "algorithm": ALGORITHM_V2,
            "commitment_record": record,
            "commitment": commitment,
            "public_value": V13_LOTTERY_VALUE,
            "public_signature": None,
            "seed": seed.hex(),
            "steps": steps,
            "allocation": [
                {"household": code, "apartments": sorted(allocation[code])}
                for code in sorted(allocation)
            ],
        }
    )
    return bundle


def _v13_lines() -> list:
    out = []
    bundle = example_bundle_v2()
    record = bundle["commitment_record"]
    out.append("    public_source          " + canonical_bytes(V13_LOTTERY).decode("utf-8"))
    out.append("    public_value           " + json.dumps(V13_LOTTERY_VALUE))
    out.append("    commitment record (canonical JSON, one line):")
    out.append("    " + canonical_bytes(record).decode("utf-8"))
    out.append("    commitment             " + bundle["commitment"])
    seed_input = (
        ALGORITHM_V2.encode("ascii")
        + b"\x00"
        + VECTOR_SECRET
        + bytes.fromhex(bundle["commitment"])
        + len(V13_LOTTERY_VALUE.encode()).to_bytes(4, "big")
        + V13_LOTTERY_VALUE.encode()
        + len(VECTOR_ENTROPY.encode()).to_bytes(4, "big")
        + VECTOR_ENTROPY.encode()
    )
    out.append("    seed input (hex)       " + seed_input.hex())
    out.append("    seed                   " + bundle["seed"])
    for step in bundle["steps"]:
        out.append(
            f"    step {step['label']:<16} {' '.join(step['participants'])}  ->  "
            f"{' '.join(step['order'])}"
        )
    for row in bundle["allocation"]:
        out.append(f"    {row['household']}  {' '.join(row['apartments'])}")
    two = v2_record(bundle, V13_LOTTERY, estates=("E2", "E1"))
    two_commitment = sha256_hex(canonical_bytes(two))
    out.append('    the same session in a project with estates E1 E2 (step_prefix "E1/"):')
    out.append("    commitment             " + two_commitment)
    two_seed = make_seed_v2(VECTOR_SECRET, two_commitment, V13_LOTTERY_VALUE, VECTOR_ENTROPY)
    out.append("    seed                   " + two_seed.hex())
    village = expected_steps(two_seed, bundle["participants"], "E1/")[0]
    out.append(f"    step {village['label']:<16} {' '.join(village['order'])}")
    drand = v2_record(bundle, V13_DRAND)
    randomness = sha256_hex(V13_SIGNATURE)
    drand_commitment = sha256_hex(canonical_bytes(drand))
    out.append("    the same session with a drand round named instead:")
    out.append("    public_source          " + canonical_bytes(V13_DRAND).decode("utf-8"))
    out.append("    signature              " + V13_SIGNATURE.hex())
    out.append("    randomness = SHA-256   " + randomness)
    out.append("    commitment             " + drand_commitment)
    drand_seed = make_seed_v2(VECTOR_SECRET, drand_commitment, randomness, VECTOR_ENTROPY)
    out.append("    seed                   " + drand_seed.hex())
    return out


def edge_bundle() -> dict:
    """V12: empty and zero-count demands, and apartments whose code-point order is not their
    orientation order, as a complete bundle (it verifies)."""
    return example_bundle(EDGE_INVENTORY, EDGE_PARTICIPANTS, "EXAMPLE-EDGE")


def _codes(estate: Estate, positions) -> str:
    return " ".join(estate.code[p] for p in positions) or "-"


def _tiers(estate: Estate, positions) -> str:
    return "".join("CBA"[estate.points[p] - 1] for p in positions)


def _example_lines(bundle: dict) -> list:
    """V8 and V12: a bundle's hashes, steps, shares, packages and allocation."""
    out = []
    out.append("    participants_sha256    " + bundle["participants_sha256"])
    out.append("    inventory_sha256       " + bundle["inventory_sha256"])
    for step in bundle["steps"]:
        fixed = " (fixed)" if step.get("fixed") else ""
        before, after = " ".join(step["participants"]), " ".join(step["order"])
        out.append(f"    step {step['label']:<15} {before}  ->  {after}{fixed}")
    estate = Estate(bundle["inventory"])
    communities, groups, packages = shares_and_packages(
        estate, bundle["participants"], bundle["steps"]
    )
    for community, share in communities.items():
        out.append(f"    share of community {community}: " + _codes(estate, share))
    for group, share in groups.items():
        out.append(f"    share of group {group}:     " + _codes(estate, share))
        for combination, boxes in packages[group].items():
            name = "+".join(f"{t}x{c}" for t, c in combination) or "(nothing)"
            for number, box in enumerate(boxes, start=1):
                out.append(
                    f"      {name:<11} package {number}: {_codes(estate, box)}  "
                    f"{_tiers(estate, box) or '-'} = {estate.total(box)} points"
                )
    return out


def _class_lines(rows, combination: tuple) -> list:
    """V9, V11: one class's pool, its dealt packages, each evening-out move, its packages."""
    estate = Estate([{"code": c, "type": t, "tier": r} for c, t, r in rows])
    n = len(rows) // sum(count for _, count in combination)
    pool = list(range(len(rows)))
    name = "+".join(f"{t}x{c}" for t, c in combination)
    out = [f"    class {name} of {n} households, its pool in orientation order:"]
    for first in range(0, len(rows), 6):
        out.append("      " + "  ".join(" ".join(row) for row in rows[first : first + 6]))
    dealt, points = deal_packages(estate, pool, combination, n)
    for number, package in enumerate(dealt, start=1):
        head = "dealt (§10.4)" if number == 1 else ""
        listed = sorted(package)
        out.append(
            f"    {head:<14} package {number}: {_codes(estate, listed)}  "
            f"{_tiers(estate, listed)} = {points[number - 1]} points"
        )
    ranked = sorted(range(n), key=lambda k: (-points[k], k))
    rich, poor = dealt[ranked[0]], dealt[ranked[-1]]
    if points[ranked[0]] - points[ranked[-1]] >= 2:
        out.append("    the first pair tried, the richest and the poorest:")
        names = (f"package {ranked[0] + 1}", f"package {ranked[-1] + 1}")
        out.extend(_pair_lines(estate, rich, poor, *names))
    trace = []
    packages = make_packages(estate, pool, combination, n, trace)
    for number, (kind, which) in enumerate(trace, start=1):
        if kind == "pair":
            out.append(
                f"    move {number}: rebalance package {which[0] + 1} and package {which[1] + 1}"
            )
        else:
            chain = " > ".join(f"package {k + 1}" for k in which)
            out.append(f"    move {number}: one point along the chain {chain}")
    for number, package in enumerate(packages, start=1):
        head = "packages" if number == 1 else ""
        out.append(
            f"    {head:<14} package {number}: {_codes(estate, package)}  "
            f"{_tiers(estate, package)} = {estate.total(package)} points"
        )
    return out


def _pair_lines(estate: Estate, rich: list, poor: list, rich_name: str, poor_name: str) -> list:
    """V9, V10, V11: the reachable sums of a pair, table by table, and its best split."""
    total = estate.total(rich + poor)
    gap = estate.total(rich) - estate.total(poor)
    out = [
        f"    {rich_name} ({estate.total(rich)} points) and {poor_name} ({estate.total(poor)}"
        f" points): total {total}, gap {gap}; sums for {rich_name}, in the order reached:"
    ]
    tables = []
    reach = reachable_sums(estate, rich, poor, tables)
    for apartment_type, table in tables:
        sums = "  ".join(f"{s} {{{_codes(estate, ps)}}}" for s, ps in table.items())
        out.append(f"      after {apartment_type:<6} {sums}")
    best = min(reach, key=lambda s: (abs(2 * s - total), -s))
    tied = sorted((s for s in reach if abs(2 * s - total) == abs(2 * best - total)), reverse=True)
    closest = " and ".join(str(s) for s in tied)
    split = best_split(estate, rich, poor)
    if split is None:
        out.append(f"      closest {closest}: no narrower gap, the pair stays as it is")
    else:
        out.append(
            f"      closest {closest}, taken {best}: {rich_name} gets "
            f"{_codes(estate, sorted(split[0]))}, {poor_name} {_codes(estate, sorted(split[1]))}"
        )
    return out


def vectors() -> str:
    """The text of docs/lottery.md §14, recomputed."""
    out = []
    seed = make_seed(VECTOR_SECRET, VECTOR_ENTROPY)
    out.append("V1  server_secret          " + VECTOR_SECRET.hex())
    out.append("V2  commitment             " + sha256_hex(VECTOR_SECRET))
    out.append("V3  witness_entropy        " + json.dumps(VECTOR_ENTROPY, ensure_ascii=False))
    out.append("    UTF-8 bytes            " + VECTOR_ENTROPY.encode("utf-8").hex())
    out.append("    seed                   " + seed.hex())
    decomposed = "e\u0301"
    out.append('V4  witness_entropy        "e\\u0301" (e + combining acute, 2 code points)')
    out.append(
        "    NFC                    "
        + json.dumps(nfc(decomposed))
        + " = U+00E9, UTF-8 "
        + nfc(decomposed).encode("utf-8").hex()
    )
    out.append("    seed                   " + make_seed(VECTOR_SECRET, decomposed).hex())
    out.append('    seed of "\\u00e9"       ' + make_seed(VECTOR_SECRET, "\u00e9").hex())
    out.append('V5  stream "village" (seed of V3)')
    for i in range(3):
        out.append(f"    block {i}                " + stream_block(seed, "village", i).hex())
    out.append('V6  uniform(n): first 10 results, a fresh stream "village" for each n (seed of V3)')
    for n in (6, 10, 1000, 2**63 + 1):
        stream = RandomStream(seed, "village")
        results = [stream.uniform(n) for _ in range(10)]
        name = "2**63+1" if n == 2**63 + 1 else str(n)
        out.append(f"    n = {name}")
        for first in range(0, 10, 5):
            out.append("      " + " ".join(str(r) for r in results[first : first + 5]))
        rejected = [x for x, kept in stream.draws if not kept]
        read = len(stream.draws)
        out.append(
            f"      limit {TWO_64 - TWO_64 % n}, values read {read}, rejected {len(rejected)}"
        )
    stream = RandomStream(seed, "village")
    for _ in range(10):
        stream.uniform(2**63 + 1)
    out.append("    n = 2**63+1, every 8-byte value read, in order (x, kept or rejected):")
    for x, kept in stream.draws:
        out.append(f"      {x:>20} {'kept' if kept else 'REJECTED'}")
    out.append("V7  shuffle of A B C D E F G H I J (seed of V3)")
    for label in ("village", "group/C01", "E1/household/G01"):
        out.append(f"    {label:<20} " + " ".join(shuffle(seed, label, VECTOR_LETTERS)))
    out.append("V8  worked example (docs/lottery.md §15), seed of V3, direct mode")
    bundle = example_bundle()
    out.extend(_example_lines(bundle))
    for row in bundle["allocation"]:
        out.append(f"    {row['household']}  {' '.join(row['apartments'])}")
    out.append("V9  §10.5 combining: sums so far outer, options inner, a fresh table for each type")
    out.extend(_class_lines(V9_POOL, V9_COMBINATION))
    out.append("V10 §10.5 of two equally close sums the larger (a pair; never a class of §10.4)")
    estate = Estate([{"code": c, "type": t, "tier": r} for c, t, r in V10_RICH + V10_POOR])
    for name, rows in (("R", V10_RICH), ("Q", V10_POOR)):
        out.append(f"    {name} holds " + "  ".join(" ".join(row) for row in rows))
    out.extend(_pair_lines(estate, [0, 1], [2, 3], "R", "Q"))
    out.append("V11 §10.5 a chain is carried out as soon as it reaches a poorest package")
    out.extend(_class_lines(V11_POOL, V11_COMBINATION))
    out.append("V12 edge example (docs/lottery.md §10.3, §12), seed of V3, direct mode")
    bundle = edge_bundle()
    out.extend(_example_lines(bundle))
    out.append("    allocation, as the bundle lists it (canonical JSON):")
    for row in bundle["allocation"]:
        out.append("    " + canonical_bytes(row).decode("utf-8"))
    out.append(
        "V13 rs-lottery-v2 (docs/lottery.md §13a): the worked example, secret of V1, entropy of V3"
    )
    out.extend(_v13_lines())
    return "\n".join(out)


# V9: a class whose packages depend on the loop order and the fresh table of §10.5's
# combining step; V10: a pair whose best split is decided by the tie rule; V11: a class whose
# packages depend on stopping a chain at the first poorest package reached.
V9_COMBINATION = (("T60", 1), ("T90", 2))
V9_POOL = [
    ("P01", "T90", "B"),
    ("P02", "T90", "A"),
    ("P03", "T60", "B"),
    ("P04", "T90", "C"),
    ("P05", "T60", "C"),
    ("P06", "T90", "A"),
]
V10_RICH = [("Q01", "T90", "A"), ("Q02", "T90", "A")]
V10_POOR = [("Q03", "T90", "B"), ("Q04", "T90", "C")]
V11_COMBINATION = (("T60", 2), ("T90", 1))
V11_POOL = [
    ("R01", "T90", "C"),
    ("R02", "T60", "C"),
    ("R03", "T90", "A"),
    ("R04", "T60", "A"),
    ("R05", "T60", "B"),
    ("R06", "T90", "C"),
    ("R07", "T60", "C"),
    ("R08", "T90", "B"),
    ("R09", "T60", "A"),
    ("R10", "T60", "B"),
    ("R11", "T60", "C"),
    ("R12", "T60", "A"),
]

# V12: one building whose floors 9 to 11 follow the orientation ("1-1-1001" comes after
# "1-1-901" there, before it in code-point order); H2 and H4 demand nothing, H3 zero T90.
EDGE_INVENTORY = [
    {"code": c, "building": "1", "stair": "1", "floor": f, "type": t, "tier": r, "area": a}
    for c, f, t, r, a in [
        ("1-1-901", 9, "T90", "B", "90.12"),
        ("1-1-902", 9, "T60", "B", "60.35"),
        ("1-1-1001", 10, "T90", "A", "90.12"),
        ("1-1-1002", 10, "T60", "A", "60.35"),
        ("1-1-1101", 11, "T90", "C", "90.12"),
    ]
]
EDGE_PARTICIPANTS = [
    {"code": "H1", "community": "C1", "group": "G1", "demand": {"T90": 2}},
    {"code": "H2", "community": "C1", "group": "G1", "demand": {}},
    {"code": "H3", "community": "C1", "group": "G1", "demand": {"T60": 1, "T90": 0}},
    {"code": "H4", "community": "C2", "group": "G2", "demand": {}},
]


EXAMPLE_TIERS = {a["code"]: a["tier"] for a in EXAMPLE_INVENTORY}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify an rs-lottery-v1 or v2 lottery bundle.")
    parser.add_argument("bundle", nargs="?", help="the bundle JSON file ('-' for standard input)")
    parser.add_argument("--vectors", action="store_true", help="print the test vectors")
    parser.add_argument(
        "--example-bundle", action="store_true", help="print the worked example's bundle"
    )
    parser.add_argument(
        "--edge-bundle", action="store_true", help="print the edge example's bundle (V12)"
    )
    parser.add_argument(
        "--example-bundle-v2",
        action="store_true",
        help="print the worked example as an rs-lottery-v2 bundle (V13)",
    )
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.vectors:
        print(vectors())
        return 0
    if args.example_bundle or args.edge_bundle or args.example_bundle_v2:
        if args.example_bundle_v2:
            bundle = example_bundle_v2()
        else:
            bundle = edge_bundle() if args.edge_bundle else example_bundle()
        print(json.dumps(bundle, ensure_ascii=False, indent=1))
        return 0
    if not args.bundle:
        parser.error("give a bundle file, --vectors or --example-bundle")
    try:
        if args.bundle == "-":
            bundle = json.load(sys.stdin)
        else:
            with open(args.bundle, encoding="utf-8") as handle:
                bundle = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read {args.bundle}: {error}")
        return 1
    if not isinstance(bundle, dict):
        print("FAILED: the file does not hold a JSON object")
        return 1
    session = bundle.get("session") if isinstance(bundle.get("session"), dict) else {}
    print(f"{bundle.get('algorithm')} verification of {args.bundle}")
    print(
        f"session {session.get('code')} · project {session.get('project')} · estate "
        f"{session.get('estate')} · mode {session.get('mode')} · closed {session.get('closed_at')}"
    )
    try:
        report = verify(bundle)
    except Exception as error:  # a malformed bundle must give a report, not a traceback
        report = Report()
        report.fail(f"malformed bundle ({type(error).__name__}: {error})")
    print("\n".join(report.lines))
    if report.problems:
        print(f"FAILED: {report.problems[0]}")
        return 1
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
