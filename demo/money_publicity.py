"""The publicity of money in the demo (五榜公示, issue 14), through the publicity services as
the demo users would: after settlement (demo.settlement: one group approved, paid and
settled with a reward and a deduction, others computed or part-approved), `leader2` drafts
and the leader publishes (four-eyes) one publication of each money kind for the main
project, starting on the day of seeding (their periods are open: residents may object):

- 分户补偿结果公示 (`compensation_results`): the approved and settled statements;
- 征迁奖励情况公示 (`rewards`): their reward lines and the total;
- 工作进展情况公示 (`progress`): per villager group, households at each stage.

Call `seed_money_publicity` as a later stage of `seed_demo`, after `seed_settlement` (it
reads the statements that stage approves); it runs inside seed_demo's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from demo.households import MAIN_PROJECT_CODE, ready_users
from demo.publicity import print_rosters
from households.models import Project
from publicity.models import Publication
from publicity.services import publications
from resettlement import periods

# The kinds published, in the order of seed 003's boards.
MONEY_KINDS = ("compensation_results", "rewards", "progress")


@dataclass
class MoneyPublicitySummary:
    published: list[Publication]

    def lines(self) -> list[str]:
        return [f"{MAIN_PROJECT_CODE} publicity of money"] + [
            f"  published v{p.version} {p.title}: {p.row_count} rows, "
            f"{p.starts_on}–{p.ends_on}, SHA-256 {p.content_hash[:16]}…"
            for p in self.published
        ]


def publish_money_publicity(
    *, drafter, publisher, project: Project, starts_on: dt.date | None = None
) -> list[Publication]:
    """One publication of each money kind for the whole project: drafted by `drafter`,
    published by `publisher` (never the same person), frozen and hashed by the service."""
    published = []
    for kind in MONEY_KINDS:
        draft = publications.publication_create(
            actor=drafter, project=project, kind=kind, starts_on=starts_on
        )
        published.append(publications.publication_publish(actor=publisher, publication=draft))
    return published


def seed_money_publicity(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> MoneyPublicitySummary:
    """The main project's money publications (see the module docstring). Deterministic:
    `seed` is not needed. Precondition: demo.settlement has run in this transaction."""
    people = ready_users(
        {
            "leader2": "publicity.add_publication",
            "leader": "publicity.publish_publication",
            "clerk": "publicity.view_publication",
        }
    )
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    published = publish_money_publicity(
        drafter=people["leader2"],
        publisher=people["leader"],
        project=project,
        starts_on=periods.today(),
    )
    print_rosters(people["clerk"], published)
    progress(
        f"  {MAIN_PROJECT_CODE}: {len(published)} publications of money published, "
        "their sheets rendered by Celery after commit"
    )
    return MoneyPublicitySummary(published)
