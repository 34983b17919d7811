import pandas as pd

from mlops.utils.data_preparation.feature_engineering import combine_features


def test_frame_gets_pu_do_without_touching_the_input():
    raw = pd.DataFrame({'PULocationID': ['1', '2'], 'DOLocationID': [3, 4]})
    out = combine_features(raw)
    assert out['PU_DO'].tolist() == ['1_3', '2_4']
    assert 'PU_DO' not in raw.columns


def test_records_for_inference():
    records = [{'PULocationID': 7, 'DOLocationID': 9, 'trip_distance': 1.5}]
    assert combine_features(records) == [{'PULocationID': 7, 'DOLocationID': 9, 'trip_distance': 1.5, 'PU_DO': '7_9'}]


def test_other_input_passes_through():
    assert combine_features([]) == []
