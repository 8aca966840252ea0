"""Markers every test gets from what it needs, so `make test-quick` can leave out the long ones.

- browser: drives Chromium (the fixtures of tests/web/conftest.py)
- postgres: runs on PostgreSQL (the load tests' `backend` parameter); the API suite's second run on
  PostgreSQL (`make test`) is a run of its own, not a marker
- slow: the load tests (gunicorn and workers under load), the tests `--durations=30` showed
  taking several seconds each and the two security sweeps, listed in SLOW
"""

from __future__ import annotations

import pytest

BROWSER_FIXTURES = {"browser", "new_page", "live_server"}
# Files or single tests (node ids without parameters) measured slow; see the docstring.
SLOW: tuple[str, ...] = (
    "tests/load/",
    "tests/security/test_fuzz_openapi.py",  # schemathesis over every operation: 13-31 s per role
    "tests/security/test_authorization_matrix.py",  # one test over every route and role: 12 s
    "tests/api/test_deploy_migrate.py::test_a_batch_of_a_thousand_reports_each_instance_moved_or_refused_with_its_reason",
    "tests/api/test_demo_seed.py",  # seeds the whole demo: 2-3 s per test, 20 s the file
    "tests/api/test_cli_lint.py",  # runs `alur` as a process (imports everything): 1.2-1.6 s per test
    # The hostile-input and hardening sweeps over every page and route: 21 s of CPU together, a quarter
    # of what the rest of the quick run costs; the routes and pages they sweep have their own quick tests.
    "tests/security/test_hostile_input.py",
    "tests/security/test_hardening.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)
        node = item.nodeid.split("[")[0]
        if any(node == slow or node.startswith(slow if slow.endswith("/") else slow + "::") for slow in SLOW):
            item.add_marker(pytest.mark.slow)
