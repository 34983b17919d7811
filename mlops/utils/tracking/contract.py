"""The data contract of a registered version: what it predicts (target column and unit), for
which taxis, from which inputs and features, trained and validated on which months. Written as
version tags when the version is registered and compared before the champion rule: two RMSEs
compare like with like only when both models predict the same thing for the same trips.

The feature contract is the raw inputs (with their types) and the features computed from them,
not a digest of the code: the champion is re-scored through its own registered model (the
``model_code`` it ships) on the challenger's raw validation records, so a code change that
keeps inputs and features still compares like with like, and ``training.serving_contract``
proves each new version serves as it was trained. A new input or feature changes what callers
send or what the model sees: another contract.

A fact a version did not record (one registered before contracts existed, or without data
preparation's facts) is ``''`` and is not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Dict, List, Mapping, Optional

import pandas as pd

from mlops.utils.model_code.features import (
    CATEGORICAL_FEATURES,
    DURATION,
    INPUT_COLUMNS,
    INPUT_TYPES,
    NUMERICAL_FEATURES,
)
from mlops.utils.tracking.schema import (
    CONTRACT_FEATURES,
    CONTRACT_TARGET,
    CONTRACT_TARGET_UNIT,
    CONTRACT_TAXI_COLOUR,
    CONTRACT_TRAINING_MONTHS,
    CONTRACT_VALIDATION_MONTHS,
    DATA_TAG_PREFIX,
    registry_uri,
)

SERVED_TARGET = DURATION  # what the champion is for: every way of serving it returns minutes
# Units of the TLC trip columns a numeric target can be (data preparation accepts any).
TARGET_UNITS = {
    DURATION: 'minutes',
    'trip_distance': 'miles',
    'passenger_count': 'passengers',
    **{
        column: 'dollars'
        for column in (
            'fare_amount',
            'extra',
            'mta_tax',
            'tip_amount',
            'tolls_amount',
            'ehail_fee',
            'improvement_surcharge',
            'total_amount',
            'congestion_surcharge',
            'airport_fee',
        )
    },
}
MONTHS_SEPARATOR = '..'


def target_unit(target: str) -> str:
    return TARGET_UNITS.get(target, 'unknown unit')


def feature_contract() -> str:
    """This code's raw inputs and features: what a version registered now takes and computes."""
    inputs = ', '.join(f'{column}:{INPUT_TYPES[column]}' for column in INPUT_COLUMNS)
    return f'{inputs} -> {", ".join(CATEGORICAL_FEATURES + NUMERICAL_FEATURES)}'


@dataclass(frozen=True)
class DataContract:
    target: str = ''
    target_unit: str = ''
    taxi_colour: str = ''
    features: str = ''
    training_months: str = ''  # YYYY-MM..YYYY-MM
    validation_months: str = ''

    def tags(self) -> Dict[str, str]:
        """The version tags that record it (facts not recorded are left out)."""
        return {_TAGS[f.name]: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


_TAGS = {
    'target': CONTRACT_TARGET,
    'target_unit': CONTRACT_TARGET_UNIT,
    'taxi_colour': CONTRACT_TAXI_COLOUR,
    'features': CONTRACT_FEATURES,
    'training_months': CONTRACT_TRAINING_MONTHS,
    'validation_months': CONTRACT_VALIDATION_MONTHS,
}
# Where nothing recorded it: the only target the pipelines trained before targets were recorded.
SERVED = DataContract(target=SERVED_TARGET, target_unit=target_unit(SERVED_TARGET))


def _month(value: Any) -> str:
    """``YYYY-MM`` of a month, date or timestamp string; '' when it is none."""
    try:
        return str(pd.Period(str(value)[:10], freq='M')) if value not in (None, '') else ''
    except ValueError:
        return ''


def _month_before(split: Any) -> str:
    """The last month of the rows before ``split``: a split at a month's start leaves the one before."""
    try:
        moment = pd.Timestamp(str(split))
    except ValueError:
        return ''
    return _month(moment - pd.Timedelta(days=1) if moment == moment.to_period('M').start_time else moment)


def _months(first: str, last: str) -> str:
    return f'{first}{MONTHS_SEPARATOR}{last}' if first and last else ''


def last_month(months: str) -> str:
    return months.split(MONTHS_SEPARATOR)[-1]


def contract_from_facts(
    facts: Mapping[str, Any], features: str = '', default_target: str = SERVED_TARGET
) -> DataContract:
    """The contract of a model trained on data preparation's ``facts`` (its record of months,
    colour, split and target; as a run's ``data.*`` tags or as the training set carries it).
    The months are those the rows fell in when recorded, else those the split implies."""
    target = str(facts.get('target') or default_target)
    split = facts.get('split_on_feature_value')
    training_last = _month(facts.get('training_end'))
    if not training_last and split:
        training_last = _month_before(split)
    validation_first = _month(facts.get('validation_start')) or _month(split)
    return DataContract(
        target=target,
        target_unit=target_unit(target),
        taxi_colour=str(facts.get('taxi_colour') or ''),
        features=features,
        training_months=_months(_month(facts.get('start_month')), training_last),
        validation_months=_months(validation_first, _month(facts.get('end_month'))),
    )


def version_contract(client: Any, version: Any) -> DataContract:
    """The contract a registered version (an MLflow ``ModelVersion``) recorded; for one
    registered before contracts existed, what its run's ``data.*`` tags say."""
    tags = version.tags or {}
    if CONTRACT_TARGET in tags:
        return DataContract(**{name: tags.get(tag, '') for name, tag in _TAGS.items()})
    return contract_from_facts(run_facts(client, version.run_id))


def run_facts(client: Any, run_id: Optional[str]) -> Dict[str, str]:
    """The ``data.*`` tags of a run, prefix removed; {} without a run (deleted, or none)."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

    from mlops.utils.tracking.mlflow_setup import RegistryError

    if not run_id:
        return {}
    try:
        tags = client.get_run(run_id).data.tags
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return {}
        raise RegistryError(
            f'MLflow tracking at {registry_uri(client)} could not give run {run_id} ({error.error_code}): {error.message}'
        ) from error
    return {k[len(DATA_TAG_PREFIX) :]: v for k, v in tags.items() if k.startswith(DATA_TAG_PREFIX)}


def differences(challenger: DataContract, champion: DataContract) -> List[str]:
    """What makes the two models' figures incomparable, in words; [] when they are comparable.
    Only facts both recorded are compared; months never make two models incomparable (the
    champion is re-scored on the challenger's validation rows): see ``validated_on_older``."""
    found = []
    if challenger.target and champion.target and challenger.target != champion.target:
        found.append(
            f"target {challenger.target} ({challenger.target_unit}) vs the champion's "
            f'{champion.target} ({champion.target_unit})'
        )
    if challenger.taxi_colour and champion.taxi_colour and challenger.taxi_colour != champion.taxi_colour:
        found.append(f"taxi colour {challenger.taxi_colour} vs the champion's {champion.taxi_colour}")
    if challenger.features and champion.features and challenger.features != champion.features:
        found.append(f"features {challenger.features} vs the champion's {champion.features}")
    return found


def unserved_target(contract: DataContract) -> Optional[str]:
    """Why a model of ``contract`` cannot be the champion whatever its figures, or None: the
    champion is served as minutes of trip duration."""
    if contract.target and contract.target != SERVED_TARGET:
        return (
            f'target {contract.target} ({contract.target_unit}) is not what the champion serves: '
            f'{SERVED.target} ({SERVED.target_unit})'
        )
    return None


def validated_on_older(challenger: DataContract, champion: DataContract) -> bool:
    """The challenger's newest validation month is before the champion's: it has not been
    checked on the trips the champion was, so it never replaces it (the champion rule)."""
    if not (challenger.validation_months and champion.validation_months):
        return False
    return last_month(challenger.validation_months) < last_month(champion.validation_months)
