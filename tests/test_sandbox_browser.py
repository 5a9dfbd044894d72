"""The sandbox page in headless Chromium (Debian's chromium + chromedriver, driven by Selenium):
start an incident from the workflow button, confirm it, see the channel with its links, resolve it,
pick an origin, see the post-mortem link, fast-forward 30 days and see the channel archived."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"


class Background:
    """The sandbox in its own thread and event loop, as a user would run it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from sandbox.run import sandbox

        async def main() -> None:
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            async with sandbox(0, self.folder) as running:
                self.url = running.url
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(main())
        except BaseException as exc:  # shown by the test
            self.error = exc
            self._ready.set()

    def __enter__(self) -> Background:
        self.thread.start()
        self._ready.wait(60)
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chrome'}",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def test_an_incident_from_start_to_archive_in_the_browser(
    browser: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))  # it re-renders live

    def click(css: str) -> None:
        """Click, again if the page re-rendered the element in between (it updates live)."""
        for _ in range(50):
            try:
                wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css))).click()
                return
            except (StaleElementReferenceException, ElementClickInterceptedException):
                time.sleep(0.1)
        raise AssertionError(f"could not click {css}")

    def sees(text: str, css: str = "body") -> None:
        wait.until(lambda d: text in d.find_element(By.CSS_SELECTOR, css).text)

    with Background(tmp_path / "sandbox") as running:
        try:
            browser.get(running.url)
            sees("Run workflow: Start incident")
            click("#run-start")
            browser.find_element(By.ID, "wf-title").send_keys("Checkout is down")
            click("#wf-submit")
            sees("INC-1: Checkout is down", "#messages")
            click("button[data-action='incident_confirm']")
            sees("Confirmed by", "#messages")
            click("[data-channel-name^='inc-1-checkout-is-down']")
            sees("Resources", "#messages")
            sees("Join the meeting", "#messages")
            sees("OPS-1", "#messages")
            # UPDATE_SCREENSHOTS=1 refreshes the one in docs/; otherwise the tree stays untouched.
            shots = SHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
            shots.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(shots / "sandbox.png"))
            assert (shots / "sandbox.png").read_bytes()[:4] == b"\x89PNG"
            composer = browser.find_element(By.ID, "composer")
            composer.send_keys("resolve INC-1")
            click("#send")
            click("button[data-action='incident_origin_internal']")
            sees("Origin of INC-1: Internal", "#messages")
            sees("Post-mortem", "#messages")
            click("[data-advance='30d']")
            wait.until(
                lambda d: (
                    "archived"
                    in d.find_element(By.CSS_SELECTOR, "[data-channel-name^='inc-1-checkout-is-down']").get_attribute(
                        "class"
                    )
                )
            )
            sees("archived now", "#messages")
        except Exception:
            browser.save_screenshot(str(tmp_path / f"{request.node.name}-failure.png"))
            print(f"screenshot: {tmp_path / (request.node.name + '-failure.png')}")
            raise
