import pytest

from mlops.utils.compute.choice import DASK, PANDAS, compute_choice
from mlops.utils.data_preparation.config import pipeline_variables
from mlops.utils.errors import ConfigError


@pytest.mark.parametrize('given, expected', [({}, PANDAS), ({'compute': ''}, PANDAS), ({'compute': ' Dask '}, DASK)])
def test_pandas_unless_dask_is_asked_for(given, expected):
    assert compute_choice(given) == expected
    assert pipeline_variables(given)['compute'] == expected


def test_anything_else_is_refused_naming_the_choices():
    with pytest.raises(ConfigError, match=r"compute='spark': choose one of pandas, dask"):
        pipeline_variables({'compute': 'spark'})
