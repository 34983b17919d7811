"""Monthly taxi trips from the configured source (upstream mirror, file:// URL or folder); with
``compute=dask``, the list of months the workers will read."""

import pandas as pd

from mlops.utils.compute.choice import DASK
from mlops.utils.data_preparation.config import pipeline_variables
from mlops.utils.data_preparation.ingest import ingest_files
from mlops.utils.data_preparation.on_dask import months_to_prepare

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def ingest(**kwargs) -> pd.DataFrame:
    variables = pipeline_variables(kwargs)
    if variables['compute'] == DASK:  # the workers read the months in the prepare block
        return months_to_prepare(variables)
    return ingest_files(
        start_month=variables['start_month'],
        end_month=variables['end_month'],
        colour=variables['taxi_colour'],
        source=variables['data_source'],
    )
