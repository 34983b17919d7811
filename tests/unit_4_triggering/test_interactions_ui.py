"""The predict pipeline's single-trip form, used as a person does in headless Chromium:
Triggers -> Create trigger with no-code -> a run-once trigger with the three values -> its run's
prediction equals the champion's answer for that trip."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tests.browser import click_button, fill_in, page_text, press, sign_in, wait_until
from tests.unit_4_triggering.test_predict_api import RTOL, champion_predictions

pytestmark = pytest.mark.slow
TRIP = {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3}


def choose(browser, value: str) -> bool:
    """Pick ``value`` in the select offering it (the trigger's frequency)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    select = next(
        (
            Select(e)
            for e in browser.find_elements(By.TAG_NAME, 'select')
            if any(o.get_attribute('value') == value for o in Select(e).options)
        ),
        None,
    )
    if select is None:
        return False
    select.select_by_value(value)
    return True


def test_the_single_trip_form_makes_a_run_with_the_champions_prediction(triggering_server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    server = triggering_server
    name = f'form trip {time.time_ns()}'
    sign_in(browser, server.url, server.client.email, server.client.password)
    browser.get(server.url + '/pipelines/predict/triggers')
    click_button(browser, 'Create trigger with no-code')
    wait_until(
        browser,
        lambda b: (radios := b.find_elements(By.CSS_SELECTOR, 'input[type=radio]')) and (radios[0].click() or True),
        what='the trigger type choice',
    )
    fill_in(browser, 'input[placeholder="Name this trigger"]', name)
    wait_until(browser, lambda b: choose(b, '@once'), what='the @once frequency')
    click_button(browser, 'Next: Customize')
    wait_until(
        browser,
        lambda b: len(b.find_elements(By.CSS_SELECTOR, 'input[type=number]')) == 3,
        what="the form's three number fields",
    )
    page = page_text(browser)
    assert 'Predict one trip' in page and 'Pickup location ID' in page and 'Trip distance (miles)' in page
    for index, value in enumerate((TRIP['PULocationID'], TRIP['DOLocationID'], TRIP['trip_distance'])):
        fill_in(browser, 'input[type=number]', str(value), index)
    browser.save_screenshot(str(tmp_path / 'interaction-form.png'))
    click_button(browser, 'Next: Review')
    click_button(browser, 'Create trigger')
    wait_until(browser, lambda b: 'Runs for this trigger' in page_text(b), what="the new trigger's page")
    client = server.client

    def runs_of_the_trigger():
        schedule = next(
            (s for s in client.get('/api/pipeline_schedules')['pipeline_schedules'] if s['name'] == name), None
        )
        runs = [
            r
            for r in client.get('/api/pipeline_runs', pipeline_uuid='predict')['pipeline_runs']
            if schedule is not None and r['pipeline_schedule_id'] == schedule['id']
        ]
        return schedule, runs

    # A new trigger starts inactive; enabling it runs it once. The page may take the first click
    # before its handlers are ready: click again until Mage has made the run.
    deadline = time.monotonic() + 300  # a bound on waiting for Mage's scheduler, not a speed requirement
    schedule, runs = runs_of_the_trigger()
    while not runs:
        assert time.monotonic() < deadline, f'no run of trigger {name!r}'
        if schedule is not None and schedule['status'] != 'active':
            press(browser, 'Enable trigger')
        time.sleep(1)
        schedule, runs = runs_of_the_trigger()
    assert schedule['schedule_interval'] == '@once'
    run = client.wait(runs[0]['id'], timeout=300)
    assert run['status'] == 'completed'
    rows = client.block_output(run['id'], 'inference')
    _, expected = champion_predictions(server, pd.DataFrame([TRIP]))
    assert [{k: row[k] for k in TRIP} for row in rows] == [TRIP]
    assert np.allclose([rows[0]['predicted_minutes']], expected, rtol=RTOL, atol=0)
    browser.get(f'{server.url}/pipelines/predict/runs/{run["id"]}')
    wait_until(browser, lambda b: 'inference' in page_text(b), what="the run's page listing block inference")
    browser.save_screenshot(str(tmp_path / 'interaction-run.png'))
    print(f'screenshots: {tmp_path}')
