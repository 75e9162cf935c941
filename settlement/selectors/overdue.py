"""Overdue rights (超期回迁权益): what a household still waiting past its promised return date
is owed under its project's transition policy (`settlement.models.TransitionPolicy`).

- The promised return day is the transition's own `promised_by`, or else the moving-out day
  plus the policy's `transition_months` (the day those months are complete).
- The household is overdue on `today` when that day has passed and it has no keys
  (no `Handover`) and has not switched to cash (`OverdueCashSwitch`).
- Months overdue: the months started since the promised day (a started month counts, as for
  the subsidy: `settlement.calculation.subsidy_months`).
- The doubled fee (the policy's `overdue_multiplier`) applies from the first subsidy month —
  counted from the moving-out day, as the subsidy counts them — that starts on or after the
  promised day: the first month the household was not promised. E.g. moved out on
  15 March 2024 with 24 months: promised 15 March 2026; months 1–24 at the standard rate,
  month 25 (from 15 March 2026) on at ×2.
- Switching to cash is open when the policy allows it (`overdue_cash_option`) and the household
  is overdue and not already monetised; drawn apartments are given up
  (`settlement.services.overdue`).

`overdue_rights_for` reads any number of households in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from households.models import Household
from lottery.selectors.sign_off import signed_allocations
from resettlement import periods
from settlement.calculation import add_months, promised_return, subsidy_months
from settlement.models import (
    CashValuationDay,
    Handover,
    Outcome,
    OverdueCashSwitch,
    Statement,
    Transition,
    TransitionPolicy,
)


@dataclass(frozen=True)
class OverdueRights:
    household_id: int
    in_transition: bool  # a moving-out day is recorded
    moved_out_on: dt.date | None
    promised_on: dt.date | None
    promised_by_policy: bool  # the date comes from the policy's transition months
    handed_over_on: dt.date | None
    overdue: bool
    months_overdue: int
    policy: TransitionPolicy | None
    multiplier: Decimal | None
    # The first subsidy month at the multiplied rate: its number and first day.
    multiplied_from_month: int | None
    multiplied_from: dt.date | None
    cash_option: bool  # the policy lets an overdue household switch to cash
    has_apartments: bool  # drawn apartments (a signed lottery)
    monetised: bool  # its statement is monetised already (not waiting for an apartment)
    switch: OverdueCashSwitch | None

    @property
    def multiplied(self) -> bool:
        return self.multiplier is not None and self.multiplier > 1

    @property
    def may_switch_to_cash(self) -> bool:
        """Whether a leader may switch the household to cash now (the service decides)."""
        return self.overdue and self.cash_option and not self.monetised

    def valuation_day(self, switched_on: dt.date) -> dt.date | None:
        """The day a switch made on `switched_on` is valued at, by the policy."""
        if self.policy is None or self.promised_on is None:
            return None
        if self.policy.cash_valuation_day == CashValuationDay.PROMISED_DAY:
            return self.promised_on
        return switched_on


def promised_day(transition: Transition, policy: TransitionPolicy | None) -> dt.date | None:
    """The promised return day (`calculation.promised_return`, the runs' rule too); None
    without a recorded day or a policy to count it from."""
    if transition.promised_by is None and policy is None:
        return None
    months = policy.transition_months if policy is not None else 0
    return promised_return(transition.moved_out_on, transition.promised_by, months)


def _rights(
    household: Household,
    *,
    today: dt.date,
    transition: Transition | None,
    policy: TransitionPolicy | None,
    handed_over_on: dt.date | None,
    has_apartments: bool,
    monetised: bool,
    switch: OverdueCashSwitch | None,
) -> OverdueRights:
    promised = promised_day(transition, policy) if transition is not None else None
    overdue = (
        promised is not None and today > promised and handed_over_on is None and switch is None
    )
    first_month = first_day = None
    if transition is not None and promised is not None:
        counted = subsidy_months(transition.moved_out_on, promised)
        first_month = counted + 1
        first_day = add_months(transition.moved_out_on, counted)
    return OverdueRights(
        household_id=household.pk,
        in_transition=transition is not None,
        moved_out_on=transition.moved_out_on if transition else None,
        promised_on=promised,
        promised_by_policy=transition is not None
        and transition.promised_by is None
        and promised is not None,
        handed_over_on=handed_over_on,
        overdue=overdue,
        months_overdue=subsidy_months(promised, today) if overdue else 0,
        policy=policy,
        multiplier=policy.overdue_multiplier if policy is not None else None,
        multiplied_from_month=first_month,
        multiplied_from=first_day,
        cash_option=bool(policy is not None and policy.overdue_cash_option),
        has_apartments=has_apartments,
        monetised=monetised,
        switch=switch,
    )


def overdue_rights_for(
    households: Iterable[Household], *, today: dt.date | None = None
) -> dict[int, OverdueRights]:
    """Each household's overdue rights on `today` (default: today in Shanghai), by id, in
    six queries whatever their number."""
    households = list(households)
    today = today or periods.today()
    ids = [h.pk for h in households]
    transitions = {t.household_id: t for t in Transition.objects.filter(household_id__in=ids)}
    project_ids = {h.project_id for h in households}
    policies = {
        p.project_id: p for p in TransitionPolicy.objects.filter(project_id__in=project_ids)
    }
    handovers = dict(
        Handover.objects.filter(household_id__in=ids).values_list("household_id", "handed_over_on")
    )
    with_apartments = set(
        signed_allocations().filter(household_id__in=ids).values_list("household_id", flat=True)
    )
    monetised = set(
        Statement.objects.filter(household_id__in=ids, outcome=Outcome.MONETISED).values_list(
            "household_id", flat=True
        )
    )
    switches = {
        s.household_id: s
        for s in OverdueCashSwitch.objects.filter(household_id__in=ids).select_related(
            "switched_by"
        )
    }
    return {
        h.pk: _rights(
            h,
            today=today,
            transition=transitions.get(h.pk),
            policy=policies.get(h.project_id),
            handed_over_on=handovers.get(h.pk),
            has_apartments=h.pk in with_apartments,
            monetised=h.pk in monetised,
            switch=switches.get(h.pk),
        )
        for h in households
    }


def overdue_rights(household: Household, *, today: dt.date | None = None) -> OverdueRights:
    """The household's overdue rights on `today` (`overdue_rights_for`)."""
    return overdue_rights_for([household], today=today)[household.pk]
