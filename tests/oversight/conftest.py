"""Oversight fixtures: projects whose households reached known stages
(bench._progress_setup builds them in bulk, the shape the services produce)."""

from __future__ import annotations

import pytest

from bench._progress_setup import Spec, build_progress_project


@pytest.fixture
def build(office):
    """Build a project from household specs: `build("P1", [Spec("signed"), …])`."""

    def _build(code: str, specs: list[Spec], **options):
        return build_progress_project(code, specs, actor=office, **options)

    return _build
