"""What each pipeline's summary line reports, read from its stored block outputs."""
from __future__ import annotations

from typing import Any, Callable, Dict

from mlops.utils.orchestration.headless import read_block_outputs


def data_preparation(result: Dict[str, Any]) -> Dict[str, Any]:
    X, X_train, X_val, *_ = read_block_outputs(
        result['project'], result['pipeline'], 'build', result['execution_partition'])
    return {name: list(matrix.shape) for name, matrix in (('X', X), ('X_train', X_train), ('X_val', X_val))}


SUMMARIES: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    'data_preparation': data_preparation,
}


def summarize(result: Dict[str, Any]) -> Dict[str, Any]:
    summary = SUMMARIES.get(result['pipeline'])
    return summary(result) if summary else {}
