"""Headless Chromium (Debian's chromium + chromedriver, no download) for the UI tests."""

from __future__ import annotations

import shutil
from typing import Iterator

import pytest

CHROMIUM_FLAGS = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    '--window-size=1400,900',
]


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
    wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=username]')),
        f'no sign-in form at {base_url} within {timeout:.0f} s',
    ).send_keys(email)
    browser.find_element(By.CSS_SELECTOR, 'input[type=password]').send_keys(password + '\n')
    wait.until(lambda b: '/sign-in' not in b.current_url, f'still on the sign-in page after {timeout:.0f} s')


def page_text(browser) -> str:
    """The page's visible text, read in one script call: no element handle to go stale while
    React re-renders the page."""
    return browser.execute_script('return document.body ? document.body.innerText : ""')


def wait_until(browser, condition, timeout: float = 60, what: str = ''):
    """``condition(browser)``'s first truthy value. Mage's pages re-render while they load, so an
    element found a moment ago may be gone: a stale element means "not yet", not a failure.
    Past ``timeout`` the error names ``what`` was awaited, the page and the end of its text."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(
            browser, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        ).until(condition)
    except TimeoutException:
        shown = ' '.join(page_text(browser).split())[-300:]
        raise TimeoutException(
            f'{what or getattr(condition, "__name__", "the condition")}: not within '
            f'{timeout:.0f} s on {browser.current_url}; the page ends: {shown!r}'
        ) from None


_CLICK_BUTTON = """
const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim().startsWith(arguments[0]));
if (button) { button.click(); }
return Boolean(button);
"""


def press(browser, text: str) -> bool:
    """Click the first button whose text starts with ``text``, if there is one: found and
    clicked in one script call, so a re-render between the two cannot make it stale."""
    return browser.execute_script(_CLICK_BUTTON, text)


def click_button(browser, text: str, timeout: float = 60) -> None:
    """Press the button ``text`` once the page shows it."""
    wait_until(browser, lambda b: press(b, text), timeout, f'a button {text!r}')


def fill_in(browser, css: str, text: str, index: int = 0, timeout: float = 60) -> None:
    """Type ``text`` into the ``index``-th field matching ``css`` (replacing what it holds), and
    check the field kept it: typing into a field React has just replaced is retried."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def value(b):
        fields = b.find_elements(By.CSS_SELECTOR, css)
        return fields[index].get_attribute('value') if len(fields) > index else None

    def typed(b) -> bool:
        if value(b) is None:
            return False
        if value(b) != text:
            field = b.find_elements(By.CSS_SELECTOR, css)[index]
            field.send_keys(Keys.CONTROL, 'a')
            field.send_keys(text)
        return value(b) == text

    wait_until(browser, typed, timeout, f'{css} #{index} holding {text!r}')


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
