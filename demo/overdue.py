"""Bank accounts and overdue rights in the demo data (`seed_demo`), through the settlement
services, in two stages:

`seed_bank_accounts`, after the settlement stage and before the subsidy runs
(demo.subsidy_runs pays into these accounts):

- for every approved household in transition the clerk who registered it records its bank
  account (a UnionPay card in the head's name; the last but one's holder is another member
  of the family, as a payment on the household's behalf may be) and `finance` — a second
  person — confirms it; the last household's account waits for finance's confirmation (the
  runs list it as blocked);
- one household's card was lost: the clerk records the new card with the reason and it waits
  for finance's confirmation (finance's inbox shows it).

`seed_overdue`, last (after the oversight stage, which makes a few households overdue; the
subsidy runs' stage set the transition policy, which lets an overdue household switch to
cash valued on the switch day):

- `leader` switches the first overdue household to cash, with the reason: its statement
  becomes a monetised new version that waits for the approval chain, and any apartment it drew
  is given up.

Deterministic for a given seed. Runs inside seed_demo's transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import luhn

from demo.households import MAIN_PROJECT_CODE, ready_users
from households.models import Household, HouseholdStatus, Member, Project, Relation
from resettlement import periods
from settlement.selectors.handover import head_name
from settlement.selectors.overdue import overdue_rights_for
from settlement.services import bank_accounts
from settlement.services.overdue import switch_to_cash

# Who acts in this stage, and what each needs.
OVERDUE_ROLES = {
    "clerk": "settlement.add_bankaccount",
    "clerk2": "settlement.add_bankaccount",
    "finance": "settlement.confirm_bank_account",
    "leader": "settlement.add_overduecashswitch",
}
BANKS = (
    "中国工商银行余杭支行",
    "中国农业银行良渚支行",
    "中国建设银行临平支行",
    "杭州联合农村商业银行仁和支行",
)
# UnionPay debit card numbers: this prefix, 12 digits, the Luhn check digit (19 in all).
CARD_PREFIX = "622202"
LOST_CARD_REASON = "原银行卡遗失已挂失,户主持新卡及身份证到场办理变更。"
SWITCH_REASON = "安置房项目续建延期,已超过承诺回迁日期,户主书面申请改为货币补偿。"


@dataclass
class BankAccountsSummary:
    accounts: int
    waiting: str | None
    pending_change: str | None

    def lines(self) -> list[str]:
        lines = [f"  {MAIN_PROJECT_CODE}: {self.accounts} bank accounts recorded and confirmed"]
        if self.waiting:
            lines.append(f"  {self.waiting}: its bank account waits for finance's confirmation")
        if self.pending_change:
            lines.append(f"  {self.pending_change}: a changed bank account waits for finance")
        return lines


@dataclass
class OverdueSummary:
    switched: str | None
    switched_version: int | None = None

    def lines(self) -> list[str]:
        if not self.switched:
            return [f"  {MAIN_PROJECT_CODE}: no overdue household may switch to cash"]
        return [
            f"  {self.switched}: overdue, switched to cash "
            f"(statement version {self.switched_version}, to approve)"
        ]


def card_number(rng: random.Random) -> str:
    body = CARD_PREFIX + "".join(rng.choice("0123456789") for _ in range(12))
    return body + luhn.calc_check_digit(body)


def _holder(household: Household, *, other_member: bool) -> str:
    if other_member:
        member = (
            Member.objects.filter(household=household)
            .exclude(relation=Relation.HEAD)
            .order_by("pk")
            .first()
        )
        if member is not None:
            return member.name
    return head_name(household)


def seed_bank_accounts(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> BankAccountsSummary:
    """Bank accounts for the households in transition: confirmed by a second person but the
    last one's, and a pending change (see the module docstring). Precondition: the
    settlement stage has run in this transaction."""
    rng = random.Random(f"{seed}:overdue")
    users = {**users, **ready_users(OVERDUE_ROLES)}
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    households = list(
        Household.objects.filter(
            project=project, status=HouseholdStatus.APPROVED, transition__isnull=False
        )
        .select_related("project")
        .order_by("code")
    )
    clerks = {users["clerk"].pk: users["clerk"], users["clerk2"].pk: users["clerk2"]}
    confirmed, waiting = [], None
    for index, household in enumerate(households):
        account = bank_accounts.bank_account_record(
            actor=clerks.get(household.registered_by_id, users["clerk"]),
            household=household,
            holder_name=_holder(household, other_member=index == len(households) - 2),
            bank_name=rng.choice(BANKS),
            account_number=card_number(rng),
            reason="",
        )
        if index == len(households) - 1 and index > 1:
            waiting = household
            continue
        bank_accounts.bank_account_confirm(actor=users["finance"], account=account)
        confirmed.append(household)
    pending = None
    if confirmed:
        pending = confirmed[0]
        bank_accounts.bank_account_record(
            actor=clerks.get(pending.registered_by_id, users["clerk"]),
            household=pending,
            holder_name=head_name(pending),
            bank_name=rng.choice(BANKS),
            account_number=card_number(rng),
            reason=LOST_CARD_REASON,
        )
    progress(f"  {MAIN_PROJECT_CODE}: {len(confirmed)} bank accounts recorded and confirmed")
    return BankAccountsSummary(
        accounts=len(confirmed),
        waiting=waiting.code if waiting else None,
        pending_change=pending.code if pending else None,
    )


def seed_overdue(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> OverdueSummary:
    """One overdue household switched to cash (see the module docstring). Precondition: the
    settlement, subsidy-run and oversight stages have run in this transaction."""
    users = {**users, **ready_users(OVERDUE_ROLES)}
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    households = list(
        Household.objects.filter(
            project=project, status=HouseholdStatus.APPROVED, transition__isnull=False
        )
        .select_related("project")
        .order_by("code")
    )
    rights = overdue_rights_for(households, today=periods.today())
    candidate = next((h for h in households if rights[h.pk].may_switch_to_cash), None)
    statement = None
    if candidate is not None:
        statement = switch_to_cash(actor=users["leader"], household=candidate, reason=SWITCH_REASON)
        progress(f"  {MAIN_PROJECT_CODE}: {candidate.code} switched to cash (overdue)")
    return OverdueSummary(
        switched=candidate.code if candidate else None,
        switched_version=statement.version if statement else None,
    )
