"""The pickup/dropoff pair feature ``PU_DO``, for frames (training) and records (inference)."""
from __future__ import annotations

from typing import Dict, List, Union

from pandas import DataFrame

Records = List[Dict]


def combine_features(df: Union[Records, DataFrame]) -> Union[Records, DataFrame]:
    """Add ``PU_DO = '<PULocationID>_<DOLocationID>'``; frames get a vectorized copy."""
    if isinstance(df, DataFrame):
        df = df.copy()
        df['PU_DO'] = df['PULocationID'].astype(str) + '_' + df['DOLocationID'].astype(str)
        return df
    if isinstance(df, list) and df and isinstance(df[0], dict):
        return [{**row, 'PU_DO': f'{row["PULocationID"]}_{row["DOLocationID"]}'} for row in df]
    return df
