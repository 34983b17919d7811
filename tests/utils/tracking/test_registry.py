"""Champion promotion against a real MLflow registry (embedded store in a temp folder)."""

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from mlops.utils.tracking.registry import is_better
from mlops.utils.tracking.schema import CHAMPION
from testkit.registered import register_constant


def test_rule():
    assert is_better(5.0, None) and is_better(5.0, 5.1)
    assert not is_better(5.1, 5.0) and not is_better(5.0, 5.0)


def test_better_promotes_worse_and_equal_do_not(tracking_store, data):
    client = MlflowClient()
    median = float(np.median(data.y_train))
    first, first_rmse = register_constant(tracking_store, data, median)
    assert first.promoted and first.champion_rmse is None
    worse, worse_rmse = register_constant(tracking_store, data, median + 5)
    assert not worse.promoted and worse_rmse > first_rmse
    assert worse.champion_rmse == pytest.approx(first_rmse)  # the champion re-scored on the same rows
    tags = client.get_model_version('test-model', worse.version).tags
    assert tags['role'] == 'rejected challenger'
    assert float(tags['validation_rmse']) == pytest.approx(worse_rmse)
    assert float(tags['champion_validation_rmse']) == pytest.approx(first_rmse)
    equal, _ = register_constant(tracking_store, data, median)
    assert not equal.promoted
    assert client.get_model_version_by_alias('test-model', CHAMPION).version == first.version
    better, better_rmse = register_constant(tracking_store, data, float(np.mean(data.y_val)))
    assert better.promoted and better_rmse < first_rmse
    assert client.get_model_version_by_alias('test-model', CHAMPION).version == better.version


def test_a_failure_before_promotion_leaves_the_champion(tracking_store, data, monkeypatch):
    from mlops.utils.tracking import registry

    champion, _ = register_constant(tracking_store, data, float(np.median(data.y_train)))

    def broken_scoring(*args, **kwargs):
        raise RuntimeError('champion could not be scored')

    monkeypatch.setattr(registry, 'champion_rmse_on', broken_scoring)
    with pytest.raises(RuntimeError):
        register_constant(tracking_store, data, float(np.mean(data.y_val)))
    assert MlflowClient().get_model_version_by_alias('test-model', CHAMPION).version == champion.version
