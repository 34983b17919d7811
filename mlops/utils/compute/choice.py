"""The ``compute`` pipeline variable and the scheduler address a deployment gives."""

from __future__ import annotations

from typing import Any, Mapping

from mlops.utils.errors import ConfigError

COMPUTE_VARIABLE = 'compute'
PANDAS, DASK = 'pandas', 'dask'
CHOICES = (PANDAS, DASK)
# With it, blocks connect to that scheduler; without it, compute=dask starts a LocalCluster per block.
SCHEDULER_ENV = 'DASK_SCHEDULER_ADDRESS'


def compute_choice(kwargs: Mapping[str, Any]) -> str:
    """``pandas`` (also when unset or empty) or ``dask``; ConfigError naming anything else."""
    value = str(kwargs.get(COMPUTE_VARIABLE) or PANDAS).strip().lower()
    if value not in CHOICES:
        raise ConfigError(f'compute={kwargs.get(COMPUTE_VARIABLE)!r}: choose one of {", ".join(CHOICES)}')
    return value
