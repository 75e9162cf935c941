"""Fixtures of the house-ticket tests: `tp` — a project with Xiamen-like ticket terms (24
months, 5 % / 2 % rewards, transferable once, splittable, the transition subsidy kept out,
expiry buys back), one developer and one listing of it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from households.models import Project, VillagerGroup
from tests.tickets.factories import developer, listing, ticket_project
from tickets.models import Developer, Listing


@dataclass
class TicketProject:
    project: Project
    group: VillagerGroup
    developer: Developer
    listing: Listing


@pytest.fixture
def tp(leader, finance_wu) -> TicketProject:
    project, group = ticket_project(leader)
    dev = developer(finance_wu)
    return TicketProject(project, group, dev, listing(finance_wu, dev, project))
