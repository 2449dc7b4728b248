"""Browser tests: pytest-playwright on Debian's Chromium (never `playwright install`).

Between two calls, Playwright's sync API marks its event loop as running in the test's thread, and
Django then refuses synchronous ORM calls there (SynchronousOnlyOperation) unless
DJANGO_ALLOW_ASYNC_UNSAFE is set. pytest-playwright keeps Playwright alive for the whole session,
which would force the variable on every later test too, and leak it into subprocesses:
tests/test_settings.py runs `manage.py check --deploy`, which rejects it (async.E001). So here
Playwright lives only as long as this package, and the variable is set for exactly that time: the
plugin's session-scoped fixtures that hold Playwright are redeclared below with package scope.
"""

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from tests.integration.worker import django_db_modify_db_settings, live_worker

__all__ = ["django_db_modify_db_settings", "live_worker"]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a browser downloaded by `playwright install`."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="package")
def playwright(_pw_api_request_contexts) -> Iterator[Playwright]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        pw = sync_playwright().start()
        if _pw_api_request_contexts:
            _pw_api_request_contexts.instrument(pw)
        try:
            yield pw
        finally:
            pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict, browser_type: BrowserType) -> Callable:
    def launch(**kwargs) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(
    pytestconfig, playwright: Playwright, device, base_url, _pw_artifacts_folder
) -> dict[str, Any]:
    """As pytest-playwright's own, at package scope because it reads `playwright`."""
    context_args: dict[str, Any] = {}
    if device:
        context_args.update(playwright.devices[device])
    if base_url:
        context_args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ["on", "retain-on-failure"]:
        context_args["record_video_dir"] = _pw_artifacts_folder.name
    return context_args


@pytest.fixture
def builtin_feedback_forms(transactional_db):
    """The five built-in feedback forms come from a data migration; a transactional test before
    this one may have flushed them, so they are loaded again (the loader skips those present)."""
    from django.apps import apps

    load = importlib.import_module("roleplay.migrations.0021_builtin_feedback_templates").load
    load(apps, None)
