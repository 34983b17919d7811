import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.data_preparation.encoders import vectorize_features
from mlops.utils.errors import DataError


def seed_vectorize(train, val):
    dv = DictVectorizer()
    return dv.fit_transform(train.to_dict(orient='records')), dv.transform(val.to_dict(orient='records')), dv


def assert_same_csr(ours, theirs):
    theirs = theirs.tocsr()
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # explicit zeros included


def test_small_frame_matches_dictvectorizer_entry_for_entry():
    train = pd.DataFrame({'PU_DO': ['1_2', '3_4', '1_2'], 'trip_distance': [1.5, 0.0, 2.0]})
    val = pd.DataFrame({'PU_DO': ['3_4', '9_9'], 'trip_distance': [4.0, 5.0]})  # 9_9 is unseen
    X_train, X_val, dv = vectorize_features(train, val)
    X_train_seed, X_val_seed, dv_seed = seed_vectorize(train, val)
    assert dv.feature_names_ == list(dv_seed.feature_names_) == ['PU_DO=1_2', 'PU_DO=3_4', 'trip_distance']
    assert_same_csr(X_train, X_train_seed)
    assert_same_csr(X_val, X_val_seed)
    assert X_val.toarray().tolist() == [[0, 1, 4.0], [0, 0, 5.0]]


def test_fitted_vectorizer_works_on_inference_dicts():
    train = pd.DataFrame({'PU_DO': ['1_2', '3_4'], 'trip_distance': [1.5, 2.0]})
    _, _, dv = vectorize_features(train)
    assert dv.transform([{'PU_DO': '3_4', 'trip_distance': 7.0}]).toarray().tolist() == [[0, 1, 7.0]]


def test_validation_frame_missing_a_feature_is_an_error():
    train = pd.DataFrame({'PU_DO': ['1_2'], 'trip_distance': [1.5]})
    with pytest.raises(DataError, match='validation set lacks features: trip_distance'):
        vectorize_features(train, train[['PU_DO']])


@pytest.mark.parametrize(
    'frame, message',
    [
        (pd.DataFrame({'PU_DO': ['1_2', None], 'trip_distance': [1.0, 2.0]}), "'PU_DO' has missing values"),
        (pd.DataFrame({'when': pd.to_datetime(['2024-01-01'])}), "'when' has type datetime64"),
    ],
)
def test_unusable_features_are_named(frame, message):
    with pytest.raises(DataError, match=message):
        vectorize_features(frame)
