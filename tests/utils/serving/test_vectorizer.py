"""The vectorizer's vocabulary is built once per fitted vectorizer, and a refit is noticed."""
import pandas as pd
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.serving.vectorizer import transform, vocabulary_of


def test_the_vocabulary_is_reused_and_rebuilt_after_a_refit():
    dv = DictVectorizer().fit([{'PU_DO': '1_2', 'trip_distance': 1.0}, {'PU_DO': '3_4', 'trip_distance': 2.0}])
    first = vocabulary_of(dv)
    assert vocabulary_of(dv) is first and list(first) == dv.feature_names_
    rows = pd.DataFrame({'PU_DO': ['5_6', '1_2'], 'trip_distance': [3.0, 0.5]})
    dv.fit([{'PU_DO': '5_6', 'trip_distance': 1.0}])  # refit in place: other names
    assert vocabulary_of(dv) is not first and list(vocabulary_of(dv)) == dv.feature_names_
    assert (transform(dv, rows) != dv.transform(rows.to_dict('records'))).nnz == 0
