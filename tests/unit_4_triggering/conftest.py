"""A Mage server started the default way (the UI on unit_1; auth on, 127.0.0.1) with a registered
champion: unit_4's endpoints and forms must work whichever sub-project the UI shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import pytest
from sklearn.linear_model import LinearRegression

from mlops.utils.model_code.model import TripDurationModel
from mlops.utils.models.training_data import unpack_training_set
from mlops.utils.triggering.mage_api import MageClient
from testkit.registered import embedded_store, register_constant, register_model
from testkit.servers import ServerProcess, mage_server, owner_client, signed_in_env


@dataclass
class TriggeringServer:
    server: ServerProcess
    client: MageClient
    root: Path
    env: Dict[str, str]
    data: object  # the unpacked default training set
    versions: Dict[str, str]  # 'constant' / 'linear' -> registered version

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server.port}'


@pytest.fixture(scope='module')
def triggering_server(tmp_path_factory, default_training_set):
    root = tmp_path_factory.mktemp('triggering')
    env = {
        **signed_in_env(root),
        'SCHEDULER_TRIGGER_INTERVAL': '1',
        'MLOPS_REGISTERED_MODEL': 'nyc-taxi-duration',
    }
    data = unpack_training_set(default_training_set)
    with embedded_store(root / 'data', env['MLOPS_REGISTERED_MODEL']) as experiment:
        facts = data.preparation  # the data.* tags a pipeline run records (months, source, split)
        constant, _ = register_constant(experiment, data, float(data.y_train.median()), facts=facts)
        linear = TripDurationModel(data.dv, LinearRegression().fit(data.X_train, data.y_train))
        better, _ = register_model(experiment, data, linear, 'linear_model.LinearRegression', facts=facts)
        assert better.promoted  # the fixture's premise: the linear model is the champion
    with mage_server(root, env=env) as server:
        client = owner_client(server, env)
        yield TriggeringServer(
            server, client, root, env, data, {'constant': str(constant.version), 'linear': str(better.version)}
        )
