"""The shape every app keeps (issue 12; docs/architecture.md, DESIGN.md §3): packages by
layer, files by subject — `services/<subject>.py`, `selectors/<subject>.py`, `views/`,
`api/`, `forms/` — so no `services_*`, `views_*`, `api_*`, `selectors_*`, `forms_*` or
`tasks_*` module at an app's top level; one url module per audience, three at most
(`urls.py` for staff, `urls_public.py`, `api_urls.py`); a layer package's `__init__.py`
re-exports nothing; and the demo data sits above every app, imported by none.

The import contract itself (the layers, publicity's imports, no cycles inside an app) is
import-linter's, `lint-imports` in `make lint`; this module checks what it cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# The project's own apps, from INSTALLED_APPS (the project package `resettlement` included).
APPS = [name for name in settings.INSTALLED_APPS if (BASE_DIR / name / "apps.py").is_file()]
DEMO = "demo"

LAYERS = ("services", "selectors", "views", "api", "forms")
# Top-level module names that belong in a layer package (or, for tasks, in the one tasks.py).
SCATTERED = tuple(f"{layer}_" for layer in (*LAYERS, "tasks"))
URL_MODULES = {"urls", "urls_public", "api_urls"}  # staff, the public, the API
LAYER_PACKAGES = (*LAYERS, "pdf")


def top_level(app: str) -> list[str]:
    """The names of an app's top-level modules and packages (without `.py`)."""
    root = BASE_DIR / app
    names = [path.stem for path in root.glob("*.py")]
    names += [path.parent.name for path in root.glob("*/__init__.py")]
    return sorted(names)


def is_url_module(name: str) -> bool:
    return name == "urls" or name.startswith("urls_") or name.endswith("_urls")


def test_the_project_apps_are_found():
    assert {"resettlement", "households", "settlement", "publicity", DEMO} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_no_module_at_the_top_of_an_app_belongs_in_a_layer_package(app):
    scattered = [
        name for name in top_level(app) if name.startswith(SCATTERED) and not is_url_module(name)
    ]
    assert not scattered, f"{app}: {scattered} belong in {app}/<layer>/<subject>.py"


@pytest.mark.parametrize("app", APPS)
def test_an_app_has_at_most_three_url_modules(app):
    urls = [name for name in top_level(app) if is_url_module(name)]
    assert len(urls) <= 3, f"{app} has {len(urls)} url modules: {urls}"


@pytest.mark.parametrize("app", APPS)
def test_url_modules_are_one_per_audience(app):
    urls = {name for name in top_level(app) if is_url_module(name)}
    extra = sorted(urls - URL_MODULES)
    assert not extra, f"{app}: {extra} (one url module per audience: {sorted(URL_MODULES)})"


def docstring_at_most(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return not body or (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


@pytest.mark.parametrize("app", APPS)
def test_a_layer_package_re_exports_nothing(app):
    """Callers import from the subject module: `from settlement.services.payments import
    payment_record`, never from the layer package itself."""
    packages = [BASE_DIR / app / layer / "__init__.py" for layer in LAYER_PACKAGES]
    busy = [
        str(path.relative_to(BASE_DIR))
        for path in packages
        if path.is_file() and not docstring_at_most(path)
    ]
    assert busy == []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports inside functions count: a stage may not reach the demo lazily either.
    return grimp.build_graph(*APPS, cache_dir=None)


def test_no_app_imports_the_demo(graph):
    """The demo walks every stage's services; no stage (nor `resettlement`) imports it."""
    importers = sorted(
        f"{importer} -> {module} (l.{line['line_number']})"
        for module in graph.find_descendants(DEMO) | {DEMO}
        for importer in graph.find_modules_that_directly_import(module)
        if importer.split(".")[0] != DEMO
        for line in graph.get_import_details(importer=importer, imported=module)
    )
    assert importers == []


def test_the_demo_is_an_app_with_the_demo_commands():
    commands = BASE_DIR / DEMO / "management" / "commands"
    assert (commands / "seed_demo.py").is_file()
    assert (commands / "create_demo_users.py").is_file()
    stray = sorted(
        str(path.relative_to(BASE_DIR))
        for app in APPS
        if app != DEMO
        for path in [
            *(BASE_DIR / app).glob("demo*.py"),
            *(BASE_DIR / app).glob("management/commands/*demo*.py"),
        ]
    )
    assert stray == []
