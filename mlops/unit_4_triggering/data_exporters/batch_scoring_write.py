from pathlib import Path
from typing import Any, Dict

from mlops.utils.batch_scoring.steps import publish_batch

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_exporter
def batch_scoring_write(scored: Dict[str, Any], *args, **kwargs) -> Dict[str, Any]:
    """The scored months moved into place (one file per month and version, each in one rename)
    and the run logged to MLflow; returns what it did (rows in, scored, refused per reason,
    files, model version)."""
    return publish_batch(scored, kwargs)


@test
def every_row_is_counted_and_every_file_is_there(summary: Dict[str, Any], *args, **kwargs) -> None:
    # (not named ``output``: Mage passes the pipeline's variables, ``output`` among them, by name)
    assert summary['rows_scored'] + summary['rows_refused'] == summary['rows_in'], 'rows lost between read and written'
    missing = [path for path in summary['outputs'] if not Path(path).is_file()]
    assert not missing, f'files not written: {missing}'
