"""The pickup/dropoff pair feature ``PU_DO``, for frames (training) and records (inference)."""
from __future__ import annotations

from typing import Dict, List, Union

from pandas import DataFrame

from mlops.utils.data_preparation.strings import join_strings

Records = List[Dict]


def combine_features(df: Union[Records, DataFrame]) -> Union[Records, DataFrame]:
    """Add ``PU_DO = '<PULocationID>_<DOLocationID>'``; the input is not modified."""
    if isinstance(df, DataFrame):
        df = df.copy(deep=False)  # a new column only: sharing the others is safe and cheap
        df['PU_DO'] = join_strings(df['PULocationID'], df['DOLocationID'])
        return df
    if isinstance(df, list) and df and isinstance(df[0], dict):
        return [{**row, 'PU_DO': f'{row["PULocationID"]}_{row["DOLocationID"]}'} for row in df]
    return df
