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
