"""``transform`` equals DictVectorizer on row dicts at every size: the one-by-one look-up of a
few rows and the column-wise one of many; the vocabulary is reused and a refit is noticed."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.errors import DataError
from mlops.utils.model_code.vectorizer import FEW_ROWS, transform, vocabulary_of


def test_the_vocabulary_is_reused_and_rebuilt_after_a_refit():
    dv = DictVectorizer().fit([{'PU_DO': '1_2', 'trip_distance': 1.0}, {'PU_DO': '3_4', 'trip_distance': 2.0}])
    first = vocabulary_of(dv)
    assert vocabulary_of(dv) is first and list(first) == dv.feature_names_
    rows = pd.DataFrame({'PU_DO': ['5_6', '1_2'], 'trip_distance': [3.0, 0.5]})
    dv.fit([{'PU_DO': '5_6', 'trip_distance': 1.0}])  # refit in place: other names
    assert vocabulary_of(dv) is not first and list(vocabulary_of(dv)) == dv.feature_names_
    assert (transform(dv, rows) != dv.transform(rows.to_dict('records'))).nnz == 0


@pytest.mark.parametrize('rows', [1, FEW_ROWS, FEW_ROWS + 1, 500])
def test_few_and_many_rows_equal_dictvectorizer(rows):
    rng = np.random.default_rng(rows)
    seen = [f'{a}_{b}' for a in range(1, 30) for b in range(1, 30)]
    dv = DictVectorizer().fit([{'PU_DO': name, 'trip_distance': 1.0} for name in seen])
    frame = pd.DataFrame(
        {
            'PU_DO': [f'{a}_{b}' for a, b in rng.integers(1, 40, (rows, 2))],  # some unseen
            'trip_distance': rng.exponential(3.0, rows).round(1),
        }
    )  # some explicit zeros
    frame.loc[0, 'trip_distance'] = 0.0
    ours, theirs = transform(dv, frame), dv.transform(frame.to_dict('records'))
    theirs.sort_indices()
    for part in ('indptr', 'indices', 'data'):
        assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part


@pytest.mark.parametrize('rows', [2, FEW_ROWS + 1])  # with a string beside it: an object column
@pytest.mark.parametrize('value, message', [(None, 'has missing values'), (3, 'must hold strings only')])
def test_bad_categories_are_named_at_every_size(rows, value, message):
    dv = DictVectorizer().fit([{'PU_DO': '1_2', 'trip_distance': 1.0}])
    frame = pd.DataFrame({'PU_DO': ['1_2'] * (rows - 1) + [value], 'trip_distance': [1.0] * rows})
    with pytest.raises(DataError, match=f"'PU_DO' {message}"):
        transform(dv, frame)
