"""Reading a session's draws: its call order, the scheme its allocation follows, and the
allocations made so far."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lottery import algorithm
from lottery.models import Allocation, LotterySession, SessionMode

# -- call order -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallItem:
    """One draw of the session: what is revealed at `position` (1-based)."""

    position: int
    step_label: str
    rank: int  # 1-based place in the step's draw order
    level: str  # "village", "group" or "household"
    participant: str  # community, villager group or household code
    parent: str = ""  # the community (group level) or villager group (household level)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _level_of(label: str, prefix: str) -> tuple[str, str]:
    rest = label[len(prefix) :] if prefix and label.startswith(prefix) else label
    if rest == "village":
        return "village", ""
    level, _slash, parent = rest.partition("/")
    return level, parent


def call_order(session: LotterySession) -> list[CallItem]:
    """The session's draws in the order they are revealed, numbered 1..N.

    The steps are taken as `session.steps` lists them (village, then one group step per
    community in village order, then one household step per group): each step's draw order
    is revealed place by place. When the villagers' resolution fixed the order of the
    communities (`fixed_village_order`), the village step was not drawn and has no reveals:
    the order is shown as fixed (`session_state()["village_order"]`), and the call order
    starts with the first group step. Empty until the witness entropy is entered.
    """
    items: list[CallItem] = []
    prefix = session.step_prefix
    for step in session.steps or []:
        level, parent = _level_of(step["label"], prefix)
        if level == "village" and step.get("fixed"):
            continue
        for rank, participant in enumerate(step["order"], start=1):
            items.append(CallItem(len(items) + 1, step["label"], rank, level, participant, parent))
    return items


# -- the scheme -----------------------------------------------------------------------------

_SCHEMES: dict[tuple, algorithm.Scheme] = {}
_SCHEME_CACHE_SIZE = 8


def scheme_for(session: LotterySession) -> algorithm.Scheme:
    """`algorithm.scheme_of` for the session's snapshots and steps (direct mode: with the
    packages and the allocation; choose mode: the shares households pick in).

    The result depends only on data that never changes once the entropy is in, so it is
    kept in memory per process (a few sessions) and shared: treat it as read-only.
    Raises `algorithm.LotteryError` (e.g. too few apartments) and ValueError before the
    entropy is entered.
    """
    if not session.steps:
        raise ValueError("the session has no steps yet")
    key = (
        session.pk,
        session.seed,
        session.mode,
        session.participants_sha256,
        session.inventory_sha256,
    )
    scheme = _SCHEMES.get(key)
    if scheme is None:
        scheme = algorithm.scheme_of(
            session.inventory,
            session.participants,
            session.steps,
            direct=session.mode == SessionMode.DIRECT,
        )
        if len(_SCHEMES) >= _SCHEME_CACHE_SIZE:
            _SCHEMES.pop(next(iter(_SCHEMES)))
        _SCHEMES[key] = scheme
    return scheme


# -- allocations ---------------------------------------------------------------------------


def allocation_rows(session: LotterySession) -> list[dict[str, Any]]:
    """{household, apartments, sequence, proxy} per household, in the order made."""
    picks: dict[str, dict[str, Any]] = {}
    rows = (
        Allocation.objects.filter(session=session)
        .order_by("sequence", "apartment__code")
        .values_list("household__code", "apartment__code", "sequence", "proxy")
    )
    for household, apartment, sequence, proxy in rows:
        row = picks.setdefault(
            household,
            {"household": household, "apartments": [], "sequence": sequence, "proxy": proxy},
        )
        row["apartments"].append(apartment)
    return list(picks.values())
