"""A household's stage in its case (案件阶段): one word for how far it has come.

The stage is never stored: it is derived from the records each stage keeps (the household's
own review status here; publications, lottery allocations, statements, agreements and handovers
in later apps). An earlier stage does not import a later one, so the derivation lives in the
latest app that can read them all (settlement, `settlement.selectors.cases`) and registers
itself here at start-up with `register_stage_reader`. Pages of every app ask `stages_of`
(or `with_stages`); without a registered reader a household's stage is its own review status.

The path: registered → reviewed → approved → published → drawn → agreement signed → settled →
handed over → moved in; or, for a household that chose monetisation (货币化安置), approved or
published → monetised → agreement signed → settled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import models
from django.utils.translation import gettext_lazy as _

from households.models import Household, HouseholdStatus


class Stage(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已审批")
    PUBLISHED = "published", _("已公示")
    DRAWN = "drawn", _("已摇号")
    MONETISED = "monetised", _("已选择货币化安置")
    AGREEMENT_SIGNED = "agreement_signed", _("已签协议")
    SETTLED = "settled", _("已结算")
    HANDED_OVER = "handed_over", _("已交房")
    MOVED_IN = "moved_in", _("已入住")


# The order of the stages, for "has it reached …" questions; the monetised branch has no
# apartment, so it never reaches handed over or moved in.
ORDER: tuple[Stage, ...] = (
    Stage.REGISTERED,
    Stage.REVIEWED,
    Stage.APPROVED,
    Stage.PUBLISHED,
    Stage.DRAWN,
    Stage.MONETISED,
    Stage.AGREEMENT_SIGNED,
    Stage.SETTLED,
    Stage.HANDED_OVER,
    Stage.MOVED_IN,
)

StageReader = Callable[[Sequence[Household]], dict[int, Stage]]

_reader: StageReader | None = None


def register_stage_reader(reader: StageReader) -> None:
    """Make `reader` the one function that derives stages (settlement's AppConfig.ready).
    It takes a list of households and returns {household id: Stage} in a constant number of
    queries, whatever the number of households."""
    global _reader
    _reader = reader


def own_stage(household: Household) -> Stage:
    """What the household's own record says: registered, reviewed or approved."""
    return {
        HouseholdStatus.REGISTERED: Stage.REGISTERED,
        HouseholdStatus.REVIEWED: Stage.REVIEWED,
        HouseholdStatus.APPROVED: Stage.APPROVED,
    }.get(household.status, Stage.REGISTERED)


def stages_of(households: Iterable[Household]) -> dict[int, Stage]:
    """{household id: stage} for every household given."""
    households = [h for h in households if h is not None]
    if not households:
        return {}
    found = _reader(households) if _reader is not None else {}
    return {h.pk: found.get(h.pk) or own_stage(h) for h in households}


def stage_of(household: Household) -> Stage:
    return stages_of([household])[household.pk]


def with_stages(households: Iterable[Household]) -> list[Household]:
    """The households as a list, each with `.stage` (a Stage) set, for a page to show."""
    households = list(households)
    stages = stages_of(households)
    for household in households:
        household.stage = stages[household.pk]
    return households
