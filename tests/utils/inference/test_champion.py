"""The predict pipeline's champion: loaded once, reloaded when the alias moves."""

import numpy as np
import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.inference import champion as champion_module
from mlops.utils.inference.champion import PREDICTION_COLUMN, champion_model, predict_trips
from mlops.utils.inference.inputs import trip_records
from mlops.utils.model_code.features import INPUT_COLUMNS
from testkit.registered import constant_model, register_constant


def test_no_champion_is_a_clear_error(tracking_store):
    with pytest.raises(ConfigError, match="model 'test-model' has no 'champion' version yet"):
        champion_model()


def test_loaded_once_and_reloaded_when_the_alias_moves(tracking_store, data, monkeypatch):
    loads = []
    import mlflow.pyfunc

    original = mlflow.pyfunc.load_model

    def counting_load(uri, *args, **kwargs):
        loads.append(uri)
        return original(uri, *args, **kwargs)

    monkeypatch.setattr(mlflow.pyfunc, 'load_model', counting_load)
    monkeypatch.setattr(champion_module, '_loaded', {})
    trips = trip_records({'inputs': data.validation_records().drop(columns=['duration']).head(20).to_dict('records')})

    first_value = float(np.median(data.y_train))
    first, _ = register_constant(tracking_store, data, first_value)
    loads.clear()  # registering loads models too (to re-score the champion): count predictions' loads
    answer = predict_trips(trips)
    assert set(answer['model']) == {'test-model'} and set(answer['model_version']) == {str(first.version)}
    assert answer[PREDICTION_COLUMN].tolist() == list(constant_model(data, first_value).predict(None, trips))
    assert answer[INPUT_COLUMNS].equals(trips)
    predict_trips(trips)
    assert loads == [f'models:/test-model/{first.version}']  # the second prediction used memory

    better_value = float(np.mean(data.y_val))
    better, _ = register_constant(tracking_store, data, better_value)
    assert better.promoted
    loads.clear()
    answer = predict_trips(trips)
    assert set(answer['model_version']) == {str(better.version)}
    assert answer[PREDICTION_COLUMN].tolist() == list(constant_model(data, better_value).predict(None, trips))
    assert loads == [f'models:/test-model/{better.version}']
