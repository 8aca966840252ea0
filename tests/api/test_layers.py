"""The layers of api/ depend one way: routes and pages call services, then presenters format what they return.

Services never reach up to presenters, routes or pages; presenters read models and engine results
(and `api.results`), never a service, a route or a page. Read from the source, so a new import
that turns the direction round fails here before it becomes a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (also inside functions and TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from api import presenters` names the module in the alias
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def reaches(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported_modules(path) if any(m == f or m.startswith(f + ".") for f in forbidden))


SERVICES = sorted((API / "services").glob("*.py"))


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_a_service_imports_no_presenter_route_or_page(path: Path) -> None:
    assert reaches(path, ("api.presenters", "api.routes", "api.web")) == []


@pytest.mark.parametrize("name", ["presenters.py", "results.py", "moments.py"])
def test_presenters_and_what_they_read_import_no_service_route_or_page(name: str) -> None:
    assert reaches(API / name, ("api.services", "api.routes", "api.web")) == []


def test_the_walk_sees_the_imports_it_forbids(tmp_path: Path) -> None:
    """The check above would pass on a reader that found nothing; this one shows it finds each form."""
    source = tmp_path / "sample.py"
    source.write_text("import api.web.pages\nfrom api import presenters\n"
                      "def later():\n    from api.routes.tasks import blp\n", encoding="utf-8")
    assert reaches(source, ("api.presenters", "api.routes", "api.web")) == [
        "api.presenters", "api.routes.tasks", "api.routes.tasks.blp", "api.web.pages"]


def test_there_are_services_to_check() -> None:
    assert len(SERVICES) > 10
