"""Monthly taxi trips from the configured source (upstream mirror, file:// URL or folder)."""

import pandas as pd

from mlops.utils.data_preparation.config import pipeline_variables
from mlops.utils.data_preparation.ingest import ingest_files

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def ingest(**kwargs) -> pd.DataFrame:
    variables = pipeline_variables(kwargs)
    return ingest_files(
        start_month=variables['start_month'],
        end_month=variables['end_month'],
        colour=variables['taxi_colour'],
        source=variables['data_source'],
    )
