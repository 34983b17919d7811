"""The seed's module and function names, as the course notes import them, used as the seed's
``transform`` block uses them (combine, then select the split column and target)."""

import pandas as pd

from mlops.utils.data_preparation.feature_engineering import combine_features
from mlops.utils.data_preparation.feature_selector import CATEGORICAL_FEATURES, NUMERICAL_FEATURES, select_features
from mlops.utils.model_code import features


def test_the_seed_modules_are_the_one_implementation_the_served_model_ships():
    assert combine_features is features.combine_features
    assert select_features is features.select_features
    assert (CATEGORICAL_FEATURES, NUMERICAL_FEATURES) == (['PU_DO'], ['trip_distance'])


def test_the_seeds_transform_steps():
    trips = pd.DataFrame(
        {
            'PULocationID': ['74', '41'],
            'DOLocationID': ['166', '42'],
            'trip_distance': [1.5, 0.8],
            'lpep_pickup_datetime': pd.to_datetime(['2024-01-02', '2024-02-03']),
            'duration': [9.0, 4.5],
        }
    )
    selected = select_features(combine_features(trips), features=['lpep_pickup_datetime', 'duration'])
    assert list(selected.columns) == ['PU_DO', 'trip_distance', 'lpep_pickup_datetime', 'duration']
    assert selected['PU_DO'].tolist() == [f'{pu}_{do}' for pu, do in zip(trips['PULocationID'], trips['DOLocationID'])]
