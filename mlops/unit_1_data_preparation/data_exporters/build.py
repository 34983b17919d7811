from typing import Any, Dict, Tuple

from pandas import DataFrame, Series
from scipy.sparse import csr_matrix
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.compute.partitions import is_reference, referenced
from mlops.utils.data_preparation.checks import check_invariants, check_seed_shapes
from mlops.utils.data_preparation.config import is_default_configuration, pipeline_variables
from mlops.utils.data_preparation.on_dask import build_outputs
from mlops.utils.data_preparation.steps import build_training_sets, preparation_facts

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_exporter
def build(
    data: Tuple[DataFrame, DataFrame, DataFrame, Dict[str, Any]], *args, **kwargs
) -> Tuple[csr_matrix, csr_matrix, csr_matrix, Series, Series, Series, DictVectorizer, Dict[str, Any]]:
    """The seed's seven outputs, then what this preparation used (months, source, split as it
    fell, rows read and dropped by cleaning)."""
    df, df_train, df_val, *cleaning = data  # (a prepare output stored before the report: three)
    variables = pipeline_variables(kwargs)
    if is_reference(df):  # prepared on Dask: references to the months' files
        return build_outputs(data, variables)
    return (
        *build_training_sets(df, df_train, df_val, target=variables['target']),
        preparation_facts(df, df_train, df_val, variables, cleaning[0] if cleaning else None),
    )


@test
def test_invariants(X, X_train, X_val, y, y_train, y_val, dv, *args, **kwargs) -> None:
    target = pipeline_variables(kwargs)['target']
    outputs = [referenced(output) for output in (X, X_train, X_val, y, y_train, y_val)]
    check_invariants(*outputs, dv, target_name=target)


@test
def test_seed_figures(X, X_train, X_val, *args, **kwargs) -> None:
    """The seed's shapes; they hold for the default months, colour and split only."""
    if is_default_configuration(kwargs):
        check_seed_shapes(referenced(X), referenced(X_train), referenced(X_val))
