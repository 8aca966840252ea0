"""Markers every test gets from what it needs, so `make test-quick` can leave out the long ones.

- browser: drives Chromium (the fixtures of tests/web/conftest.py)
- postgres: runs on PostgreSQL (the load tests' `backend` parameter); the API suite's second run on
  PostgreSQL (`make test`) is a run of its own, not a marker
- slow: the load tests (gunicorn and workers under load) and the tests `--durations=30` showed
  taking several seconds each, listed in SLOW
"""

from __future__ import annotations

import pytest

BROWSER_FIXTURES = {"browser", "new_page", "live_server"}
# Files or single tests (node ids without parameters) measured slow; see the docstring.
SLOW: tuple[str, ...] = (
    "tests/load/",
    "tests/security/test_fuzz_openapi.py",  # schemathesis over every operation: 13-31 s per role
    "tests/security/test_authorization_matrix.py",  # 24 s
    "tests/api/test_deploy_migrate.py::test_a_batch_of_a_thousand_reports_each_instance_moved_or_refused_with_its_reason",
    "tests/api/test_demo_seed.py",  # seeds the whole demo: 7-10 s per test
    "tests/api/test_cli_lint.py",  # runs `alur` as a process: 5-7 s per test
    # Pages over a seeded demo, and the hostile-input and hardening checks over every page and route:
    # 1-8 s per test, 159 s of the 320 s the quick run took without them (two processes, shared machine).
    "tests/web/test_analyst_pages.py",
    "tests/web/test_pages.py",
    "tests/web/test_modeler.py",
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
