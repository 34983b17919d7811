"""The predict pipeline's single-trip form, used as a person does in headless Chromium: Triggers ->
Create trigger with no-code -> a run-once trigger with the three values -> enable it -> the
run's page, where the prediction is read back as the UI shows it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, Optional

from tests.browser import click_button, fill_in, page_text, press, wait_until


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


def submit_trip_form(browser, base_url: str, client, trip: Dict[str, float], shots: Path) -> dict:
    """Fill in and submit the form for ``trip`` (browser signed in); the run it made, finished."""
    from selenium.webdriver.common.by import By

    name = f'form trip {time.time_ns()}'
    browser.get(base_url + '/pipelines/predict/triggers')
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
    for index, value in enumerate((trip['PULocationID'], trip['DOLocationID'], trip['trip_distance'])):
        fill_in(browser, 'input[type=number]', str(value), index)
    browser.save_screenshot(str(shots / 'interaction-form.png'))
    click_button(browser, 'Next: Review')
    click_button(browser, 'Create trigger')
    wait_until(browser, lambda b: 'Runs for this trigger' in page_text(b), what="the new trigger's page")

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
    return client.wait(runs[0]['id'], timeout=300)


# The side panel is narrow: scroll its table's header and rows together to the prediction's column.
_SCROLL_TO_PREDICTION = """
const cell = [...document.querySelectorAll('*')].find(e => e.children.length === 0
    && e.textContent.trim() === 'predicted_minutes');
if (cell) {
  const x = cell.getBoundingClientRect().left;
  for (const e of document.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if (e.scrollWidth > e.clientWidth + 5 && box.left <= x && x <= box.right + e.scrollWidth) {
      e.scrollLeft += x - box.left - 10;
    }
  }
}
"""


def prediction_shown(browser, base_url: str, run_id: int, shots: Path) -> float:
    """The predicted minutes the run's page shows: its ``inference`` block run's Output button
    opens the block's output table in the side panel (scrolled to the prediction for the
    screenshot)."""
    from selenium.webdriver.common.by import By

    browser.get(f'{base_url}/pipelines/predict/runs/{run_id}')

    def output_button(b):
        rows = [r for r in b.find_elements(By.CSS_SELECTOR, 'table tr') if 'inference' in r.text]
        cells = rows[0].find_elements(By.CSS_SELECTOR, 'td') if rows else []
        found = cells[-1].find_elements(By.CSS_SELECTOR, 'button, a, svg') if cells else []
        return found[0] if found else None

    wait_until(browser, output_button, 120, "the Output button of block inference's run").click()
    table = wait_until(browser, lambda b: shown_table(page_text(b)), 120, 'the inference output in the side panel')
    browser.execute_script(_SCROLL_TO_PREDICTION)
    browser.save_screenshot(str(shots / 'interaction-run-output.png'))
    return float(table['predicted_minutes'])


def shown_table(text: str) -> Optional[Dict[str, str]]:
    """The first row of the output table in the page's side panel (BLOCK OUTPUT: the column names,
    the row's index, its values), as the page's text has it; None until it is shown."""
    if 'BLOCK OUTPUT' not in text or ' row x ' not in text:
        return None
    shown = text.split('BLOCK OUTPUT', 1)[1].split(' row x ', 1)[0]
    lines = [line.strip() for line in shown.splitlines() if line.strip() and line.strip() != 'DEPENDENCY TREE']
    if '0' not in lines:
        return None
    index = lines.index('0')
    columns, values = lines[:index], lines[index + 1 : 2 * index + 1]
    return dict(zip(columns, values)) if 'predicted_minutes' in columns and len(values) == len(columns) else None
