"""Pipeline variables of ``data_preparation`` and their defaults (the seed's configuration)."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from mlops.utils.compute.choice import COMPUTE_VARIABLE, compute_choice
from mlops.utils.data_preparation.sources import check_source
from mlops.utils.model_code.features import DURATION

DEFAULT_CONFIGURATION: Dict[str, str] = {
    'start_month': '2024-01',
    'end_month': '2024-02',
    'taxi_colour': 'green',
    'split_on_feature': 'lpep_pickup_datetime',
    'split_on_feature_value': '2024-02-01',
    'target': DURATION,
}
# data_source empty means: the MLOPS_DATA_SOURCE environment variable, else the upstream mirror;
# compute empty means pandas (compute.choice).
OPTIONAL_VARIABLES = ('data_source', COMPUTE_VARIABLE)


def pipeline_variables(kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """The block's kwargs with defaults filled in for missing or empty variables."""
    variables = {
        k: (str(kwargs[k]) if kwargs.get(k) not in (None, '') else v) for k, v in DEFAULT_CONFIGURATION.items()
    }
    variables.update({k: kwargs.get(k) or None for k in OPTIONAL_VARIABLES})
    variables['data_source'] = check_source(kwargs.get('data_source'))
    variables[COMPUTE_VARIABLE] = compute_choice(kwargs)
    return variables


def is_default_configuration(kwargs: Mapping[str, Any]) -> bool:
    variables = pipeline_variables(kwargs)
    return all(variables[k] == v for k, v in DEFAULT_CONFIGURATION.items())
