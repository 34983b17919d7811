"""The predict pipeline's single-trip form, used as a person does in headless Chromium on a
default start (the UI on unit_1): Triggers -> Create trigger with no-code -> a run-once trigger
with the three values -> its run's prediction, as the run's page shows it and as Mage's API
returns it, equals the champion's answer for that trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.browser import sign_in
from tests.predict_form import prediction_shown, submit_trip_form
from tests.unit_4_triggering.test_predict_api import RTOL, champion_predictions

pytestmark = pytest.mark.slow
TRIP = {'PULocationID': 74, 'DOLocationID': 75, 'trip_distance': 1.3}


def test_the_single_trip_form_makes_a_run_with_the_champions_prediction(triggering_server, browser, tmp_path):
    server = triggering_server
    sign_in(browser, server.url, server.client.email, server.client.password)
    run = submit_trip_form(browser, server.url, server.client, TRIP, tmp_path)
    assert run['status'] == 'completed'
    rows = server.client.block_output(run['id'], 'inference')
    _, expected = champion_predictions(server, pd.DataFrame([TRIP]))
    assert [{k: row[k] for k in TRIP} for row in rows] == [TRIP]
    assert np.allclose([rows[0]['predicted_minutes']], expected, rtol=RTOL, atol=0)
    shown = prediction_shown(browser, server.url, run['id'], tmp_path)
    assert shown == pytest.approx(float(expected[0]), abs=1e-3), shown  # as the page rounds it
    print(f'screenshots: {tmp_path}')
