"""The bundle a signed session publishes (DESIGN §5 item 9) and its verifier.

`bundle_of` collects everything needed to recompute the session: the commitment and secret,
the witness entropy and seed, both snapshots with their hashes, every step's input and
output, the picks (order-then-choose) and the allocation — codes throughout.
`verify_bundle` recomputes all of it from the bundle alone with `lottery.algorithm` and lists
what does not match (`docs/verify_lottery.py` does the same with the standard library only).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils.translation import gettext as _

from lottery import algorithm, merkle
from lottery.models import LotterySession, SessionMode
from lottery.selectors.draws import allocation_rows

BUNDLE_FIELDS = (
    "algorithm",
    "session",
    "commitment",
    "server_secret",
    "witness_entropy",
    "seed",
    "step_prefix",
    "fixed_village_order",
    "participants",
    "participants_sha256",
    "inventory",
    "inventory_sha256",
    "steps",
    "allocation",
)


def _utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def bundle_of(session: LotterySession) -> dict[str, Any]:
    """The session's bundle (its `closed_at` should be set). Allocations sorted by household
    code with apartments sorted; picks (choose mode) in the order they were made."""
    rows = allocation_rows(session)
    bundle: dict[str, Any] = {
        "algorithm": algorithm.ALGORITHM,
        "session": {
            "code": session.code,
            "project": session.project.code,
            "title": session.title,
            "estate": session.estate.code,
            "mode": session.mode,
            "rehearsal": session.rehearsal,
            "created_at": _utc(session.created_at),
            "committed_at": _utc(session.committed_at),
            "entropy_at": _utc(session.entropy_at),
            "closed_at": _utc(session.closed_at),
        },
        "commitment": session.commitment,
        "server_secret": session.server_secret,
        "witness_entropy": session.witness_entropy,
        "seed": session.seed,
        "step_prefix": session.step_prefix,
        "fixed_village_order": session.fixed_village_order,
        "participants": session.participants,
        "participants_sha256": session.participants_sha256,
        "inventory": session.inventory,
        "inventory_sha256": session.inventory_sha256,
        "steps": session.steps,
    }
    if session.is_v2:
        bundle["algorithm"] = algorithm.ALGORITHM_V2
        bundle["session"]["public_value_at"] = _utc(session.public_value_at)
        bundle["commitment_record"] = session.commitment_record
        bundle["public_value"] = session.public_value
        bundle["public_signature"] = session.public_signature or None
        bundle["public_source_lookup"] = public_source_lookup(session.public_source)
    if session.mode == SessionMode.CHOOSE:
        bundle["picks"] = [
            {"household": row["household"], "apartments": sorted(row["apartments"])} for row in rows
        ]
    bundle["allocation"] = sorted(
        ({"household": row["household"], "apartments": sorted(row["apartments"])} for row in rows),
        key=lambda row: row["household"],
    )
    # Household receipts (docs/lottery.md §17) are checked against this root.
    bundle["merkle_root"] = merkle.merkle_root(bundle["allocation"])
    return bundle


def public_source_lookup(source: dict[str, Any] | None) -> str:
    """Where a reader looks the public value up (English, as the bundle is; the pages and the
    notarial record say it in the reader's language)."""
    if not source:
        return ""
    if source["kind"] == "drand":
        return (
            f"drand chain {source['chain']}, round {source['round']}: the randomness and "
            f"signature as published at <relay>/{source['chain']}/public/{source['round']} by "
            "any drand relay; randomness = SHA-256(signature); the signature is checked "
            "against the chain's public key with drand's own tools."
        )
    lottery = {"welfare_lottery": "China Welfare Lottery (中国福利彩票)"}.get(
        source["kind"], "China Sports Lottery (中国体育彩票)"
    )
    return (
        f"{lottery}, game {source['game']}, draw {source['draw']} of {source['date']}: the "
        "winning numbers as announced in the operator's official draw notice (开奖公告)."
    )


def bundle_json(bundle: dict[str, Any]) -> str:
    """How the bundle is printed and downloaded: UTF-8 text, keys sorted, indented."""
    return json.dumps(bundle, ensure_ascii=False, sort_keys=True, indent=2)


def _step_problems(given: list, expected: list[dict]) -> list[str]:
    problems = []
    if len(given) != len(expected):
        problems.append(
            _("步骤数量不符:数据包有 %(g)d 步,重新计算应为 %(e)d 步。")
            % {"g": len(given), "e": len(expected)}
        )
    for number, (step, want) in enumerate(zip(given, expected, strict=False), start=1):
        if not isinstance(step, dict):
            problems.append(_("第 %(n)d 步格式不对。") % {"n": number})
            continue
        label = step.get("label")
        if label != want["label"]:
            problems.append(
                _("第 %(n)d 步的标签应为 %(want)s,数据包为 %(got)s。")
                % {"n": number, "want": want["label"], "got": label}
            )
            continue
        if list(step.get("participants") or []) != want["participants"]:
            problems.append(
                _("步骤 %(label)s 的参加者(规范顺序)与名单快照不符。") % {"label": label}
            )
        if list(step.get("order") or []) != want["order"]:
            problems.append(
                _("步骤 %(label)s 的摇号顺序与重新计算的不符:应为 %(want)s。")
                % {"label": label, "want": "、".join(want["order"])}
            )
        if "fixed" in want and bool(step.get("fixed")) != want["fixed"]:
            problems.append(_("步骤 %(label)s 的“决议确定”标记不符。") % {"label": label})
    return problems


def _allocation_problems(given: Any, expected: dict[str, list[str]]) -> list[str]:
    """The bundle's allocation against the recomputed one, compared as an ordered list
    (docs/lottery.md §13, check 8): rows in household-code order, each row's apartments in
    code-point order (§12) — the right apartments listed in another order fail too."""
    problems = []
    recorded: dict[str, list[str]] = {}
    order: list[str] = []
    for row in given if isinstance(given, list) else []:
        household = str(row.get("household"))
        apartments = list(row.get("apartments") or [])
        if household in recorded:
            problems.append(_("分房结果中安置户 %(h)s 出现了不止一行。") % {"h": household})
        if apartments != sorted(apartments):
            problems.append(
                _("安置户 %(h)s 的房号未按码点顺序排列(应为 %(want)s)。")
                % {"h": household, "want": "、".join(sorted(apartments))}
            )
        recorded[household] = sorted(apartments)
        order.append(household)
    if order != sorted(order):
        problems.append(_("分房结果各行未按户编号的码点顺序排列。"))
    for household in sorted(set(expected) | set(recorded)):
        want = sorted(expected.get(household, []))
        got = recorded.get(household)
        if got is None:
            problems.append(
                _("分房结果缺少安置户 %(h)s(应为 %(want)s)。")
                % {"h": household, "want": "、".join(want)}
            )
        elif household not in expected:
            problems.append(_("分房结果中的 %(h)s 不应分得房源。") % {"h": household})
        elif got != want:
            problems.append(
                _("安置户 %(h)s 的分房结果为 %(got)s,重新计算应为 %(want)s。")
                % {"h": household, "got": "、".join(got), "want": "、".join(want)}
            )
    return problems


V2_FIELDS = ("commitment_record", "public_value", "public_signature")


def _record_problems(bundle: dict[str, Any], secret: bytes) -> list[str]:
    """v2 (docs/lottery.md §13a.5): the commitment is the hash of the record, the record names
    this secret, and everything it binds is what the bundle used."""
    record = bundle["commitment_record"]
    if not isinstance(record, dict):
        return [_("commitment_record 应为 JSON 对象。")]
    problems = []
    if algorithm.commitment_of_record(record) != bundle["commitment"]:
        problems.append(_("承诺值不是承诺记录的 SHA-256:承诺记录被改动过。"))
    if record.get("secret_sha256") != algorithm.commitment_of(secret):
        problems.append(_("承诺记录中的 secret_sha256 与公开的服务器密钥不符。"))
    if record.get("algorithm") != algorithm.ALGORITHM_V2:
        problems.append(_("承诺记录的算法标识不是 rs-lottery-v2。"))
    estates, estate = record.get("estates"), record.get("estate")
    if not isinstance(estates, list) or estates != sorted(set(estates)) or estate not in estates:
        problems.append(_("承诺记录中的安置小区列表无效,或不含本场次的小区。"))
    elif record.get("step_prefix") != algorithm.step_prefix_of(estate, estates):
        problems.append(
            _("承诺记录中的步骤前缀 %(got)s 与小区列表不符,应为 %(want)s。")
            % {
                "got": json.dumps(record.get("step_prefix"), ensure_ascii=False),
                "want": json.dumps(algorithm.step_prefix_of(estate, estates)),
            }
        )
    if bundle.get("step_prefix") != record.get("step_prefix"):
        problems.append(
            _("数据包的步骤前缀 %(got)s 不是承诺记录中的 %(want)s。")
            % {
                "got": json.dumps(bundle.get("step_prefix"), ensure_ascii=False),
                "want": json.dumps(record.get("step_prefix"), ensure_ascii=False),
            }
        )
    session = bundle.get("session") or {}
    for name, given in (
        ("session", session.get("code")),
        ("project", session.get("project")),
        ("estate", session.get("estate")),
        ("mode", session.get("mode")),
        ("fixed_village_order", bundle.get("fixed_village_order")),
        ("participants_sha256", bundle.get("participants_sha256")),
        ("inventory_sha256", bundle.get("inventory_sha256")),
    ):
        if record.get(name) != given:
            problems.append(_("数据包的 %(f)s 与承诺记录中的不符。") % {"f": name})
    source = record.get("public_source")
    kind = source.get("kind") if isinstance(source, dict) else None
    if kind not in algorithm.PUBLIC_SOURCE_KINDS:
        problems.append(_("承诺记录没有指定有效的公开随机数来源。"))
    elif isinstance(bundle["public_value"], str):
        problem = algorithm.public_value_problem(
            kind, bundle["public_value"], bundle["public_signature"]
        )
        if problem:
            problems.append(_("公开随机数无效:%(p)s。") % {"p": problem})
    return problems


def verify_bundle(bundle: Any) -> list[str]:
    """Everything in `bundle` that does not recompute; an empty list means it is valid."""
    if not isinstance(bundle, dict):
        return [_("数据包应为 JSON 对象。")]
    if bundle.get("algorithm") not in algorithm.ALGORITHMS:
        return [
            _("算法标识应为 %(want)s,数据包为 %(got)s。")
            % {"want": " / ".join(algorithm.ALGORITHMS), "got": bundle.get("algorithm")}
        ]
    v2 = bundle["algorithm"] == algorithm.ALGORITHM_V2
    required = BUNDLE_FIELDS + (V2_FIELDS if v2 else ())
    missing = [name for name in required if name not in bundle]
    if missing:
        return [_("数据包缺少字段:%(f)s") % {"f": "、".join(missing)}]
    problems: list[str] = []
    try:
        secret = bytes.fromhex(bundle["server_secret"])
    except (TypeError, ValueError):
        return [_("server_secret 不是十六进制字符串。")]
    if v2:
        problems += _record_problems(bundle, secret)
    elif algorithm.commitment_of(secret) != bundle["commitment"]:
        problems.append(_("承诺值与服务器密钥不符:SHA-256(server_secret) 不等于 commitment。"))
    entropy = bundle["witness_entropy"]
    if not isinstance(entropy, str):
        return problems + [_("witness_entropy 应为字符串。")]
    if algorithm.normalise_entropy(entropy) != entropy:
        problems.append(_("见证随机数未按 NFC 规范化。"))
    if v2:
        if not isinstance(bundle["public_value"], str):
            return problems + [_("public_value 应为字符串。")]
        try:
            seed = algorithm.seed_of_v2(
                secret, bundle["commitment"], bundle["public_value"], entropy
            )
        except (TypeError, ValueError):
            return problems + [_("commitment 不是 64 位十六进制字符串。")]
    else:
        seed = algorithm.seed_of(secret, entropy)
    if seed.hex() != bundle["seed"]:
        problems.append(_("种子与服务器密钥和见证随机数重新计算的不符。"))
    participants, inventory = bundle["participants"], bundle["inventory"]
    if algorithm.snapshot_hash(participants) != bundle["participants_sha256"]:
        problems.append(_("参加户名单的哈希与 participants_sha256 不符。"))
    if algorithm.snapshot_hash(inventory) != bundle["inventory_sha256"]:
        problems.append(_("房源快照的哈希与 inventory_sha256 不符。"))
    try:
        expected_steps = algorithm.draw_all(
            seed,
            participants,
            fixed_village_order=bundle["fixed_village_order"],
            prefix=bundle["step_prefix"] or "",
        )
    except (algorithm.LotteryError, KeyError, TypeError) as exc:
        return problems + [_("无法由名单重新计算摇号步骤:%(e)s") % {"e": exc}]
    given_steps = bundle["steps"] if isinstance(bundle["steps"], list) else []
    problems += _step_problems(given_steps, expected_steps)
    mode = (bundle.get("session") or {}).get("mode", SessionMode.DIRECT)
    try:
        if mode == SessionMode.CHOOSE:
            scheme = algorithm.scheme_of(inventory, participants, expected_steps, direct=False)
            expected = algorithm.check_picks(
                scheme, participants, expected_steps, bundle.get("picks") or []
            )
        else:
            expected = algorithm.scheme_of(inventory, participants, expected_steps).allocation
    except (algorithm.LotteryError, KeyError, TypeError) as exc:
        return problems + [_("无法重新计算分房结果:%(e)s") % {"e": exc}]
    problems += _allocation_problems(bundle["allocation"], expected)
    if mode == SessionMode.CHOOSE:
        waiting = sorted({p["code"] for p in participants} - set(expected))
        if waiting:
            problems.append(_("以下安置户没有选房记录:%(h)s") % {"h": "、".join(waiting)})
    return problems + merkle_root_problems(bundle)


def merkle_root_problems(bundle: dict[str, Any]) -> list[str]:
    """A bundle with a `merkle_root` (docs/lottery.md §17) must carry the root of its own
    allocation rows; a bundle from before roots were published has none and passes."""
    if "merkle_root" not in bundle:
        return []
    rows = bundle["allocation"]
    try:
        root = merkle.merkle_root(rows if isinstance(rows, list) else [])
    except (KeyError, TypeError, AttributeError):
        return [_("无法由分房结果计算默克尔根。")]
    if root != bundle["merkle_root"]:
        return [
            _("默克尔根与分房结果重新计算的不符:应为 %(want)s,数据包为 %(got)s。")
            % {"want": root, "got": bundle["merkle_root"]}
        ]
    return []
