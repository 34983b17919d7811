"""The champion's training-data contract: what data a final model was trained and validated
on, written as ``data.*`` tags of its run when it is logged and read back by retraining,
monitoring and the notebook samples (which read those trips again: ``data_preparation.reread``).

The registry keeps it with the model, so a crash or a fresh container cannot lose it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Mapping

from mlops.utils.errors import ConfigError
from mlops.utils.tracking.schema import CHAMPION, DATA_TAG_PREFIX, champion_version

# The facts a reader cannot do without (``split_on_feature`` arrived later: '' when absent).
REQUIRED_FACTS = ('start_month', 'end_month', 'taxi_colour', 'data_source')


@dataclass(frozen=True)
class TrainedRange:
    """The data the champion was trained and validated on, as its run recorded it."""

    model: str
    version: str
    start_month: str
    end_month: str
    taxi_colour: str
    data_source: str
    split_on_feature: str


def data_tags(facts: Mapping[str, Any]) -> Dict[str, str]:
    """The run tags that record ``facts`` (lists and dicts as JSON; the feature names stay in
    the run's ``training_facts.json`` artifact only)."""
    return {
        f'{DATA_TAG_PREFIX}{k}': json.dumps(v) if isinstance(v, (list, dict)) else str(v)
        for k, v in facts.items()
        if k != 'feature_names'
    }


def champion_range(client: Any, model: str) -> TrainedRange:
    """The champion's recorded data range; ConfigError when there is no champion to compare
    with or its run lacks the facts (registered by a version that did not record them)."""
    version = champion_version(client, model)
    if version is None:
        raise ConfigError(
            f"no '{CHAMPION}' version of model {model!r} yet: train once first "
            '(./scripts/run.sh) so retraining knows what it was trained on'
        )
    tags = client.get_run(version.run_id).data.tags
    fact = {k[len(DATA_TAG_PREFIX) :]: v for k, v in tags.items() if k.startswith(DATA_TAG_PREFIX)}
    missing = [k for k in REQUIRED_FACTS if k not in fact]
    if missing:
        raise ConfigError(
            f'{model} version {version.version} has no recorded {", ".join(missing)} '
            f'({DATA_TAG_PREFIX}* tags of its run): retrain it with this version of the project'
        )
    return TrainedRange(
        model=model,
        version=str(version.version),
        start_month=fact['start_month'],
        end_month=fact['end_month'],
        taxi_colour=fact['taxi_colour'],
        data_source=fact['data_source'],
        split_on_feature=fact.get('split_on_feature', ''),
    )
