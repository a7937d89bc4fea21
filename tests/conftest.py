"""Shared test settings: hypothesis profiles sized for CI's 15-minute budget on 2 cores; the
browser and JupyterLab fixtures of the browser tests."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=60, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else
                                     "default"))


# ---- the browser tests: one Chromium and one JupyterLab per test module (jupyterlab_harness) --

@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, for the module's tests."""
    from jupyterlab_harness import launch_browser
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        try:
            chromium = launch_browser(playwright)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab serving a fresh temporary directory (`jupyterlab.root`: write the module's
    notebooks there), from the project's own environment, for the module's tests."""
    from jupyterlab_harness import JupyterLab
    with JupyterLab(tmp_path_factory.mktemp("lab-root"), tmp_path_factory.mktemp("lab-home")) \
            as lab:
        yield lab


@pytest.fixture
def lab_page(browser, jupyterlab):
    """A new browser tab on the module's JupyterLab (closed after the test); call
    `lab_page.assert_clean()` to check for console errors and requests beyond 127.0.0.1."""
    from jupyterlab_harness import LabPage
    page = LabPage(browser, jupyterlab)
    yield page
    page.close()
