"""Headless Chromium (Debian's chromium + chromedriver, no download) for the UI tests."""
from __future__ import annotations

import shutil
from typing import Iterator

import pytest

CHROMIUM_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--disable-dev-shm-usage', '--window-size=1400,900']


def chromium() -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in ('chromium', 'chromedriver'):
        if not shutil.which(binary):
            pytest.fail(f'{binary} is not installed; scripts/test.sh installs Debian chromium and chromium-driver')
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which('chromium')
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(browser, base_url: str, email: str, password: str, timeout: float = 90) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, timeout)
    browser.get(base_url + '/')
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=username]'))).send_keys(email)
    browser.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(password + '\n')
    wait.until(lambda b: '/sign-in' not in b.current_url)


# The bars, arcs and lines (SVG rect/path with an area) in the panel titled arguments[0]: the
# nearest ancestor of the title holding an SVG, unless it also holds another title (arguments[1]):
# then the titled panel drew nothing and the SVG is a neighbour's.
_DRAWN_MARKS = """
const title = [...document.querySelectorAll('body *')].find(e => e.children.length === 0
    && e.textContent.trim() === arguments[0]);
let panel = title;
while (panel && !panel.querySelector('svg')) { panel = panel.parentElement; }
if (!panel || arguments[1].some(other => other !== arguments[0] && panel.textContent.includes(other))) {
  return 0;
}
return [...panel.querySelectorAll('svg rect, svg path')].filter(m => {
  const box = m.getBoundingClientRect(); return box.width > 0 && box.height > 0; }).length;
"""


def charts_drawn(browser, titles, timeout: float = 120, others=()) -> dict:
    """Title -> marks drawn, for the dashboard charts (by panel title) that drew something
    within ``timeout`` seconds; charts load one by one, so this polls. ``others``: titles of
    the page's panels that draw no SVG (tables)."""
    import time

    drawn: dict = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(drawn) < len(titles):
        for title in set(titles) - set(drawn):
            marks = browser.execute_script(_DRAWN_MARKS, title, [*titles, *others])
            if marks:
                drawn[title] = marks
        time.sleep(1)
    return drawn
