"""What each pipeline's summary line reports: stored block outputs, or MLflow's records."""

from __future__ import annotations

from typing import Any, Callable, Dict

from mlops.utils import pipelines
from mlops.utils.compute.partitions import referenced
from mlops.utils.orchestration.mage_internals import read_block_outputs
from mlops.utils.paths import project_dir

# What cleaning read and dropped (build's facts, its last output), beside the matrices' shapes.
CLEANING_FACTS = ('rows_read', 'dropped_rows')


def data_preparation(result: Dict[str, Any]) -> Dict[str, Any]:
    X, X_train, X_val, *rest = read_block_outputs(
        project_dir(result['project']), result['pipeline'], 'build', result['execution_partition']
    )
    matrices = (('X', X), ('X_train', X_train), ('X_val', X_val))  # on the Dask path: references
    summary: Dict[str, Any] = {name: list(referenced(matrix).shape) for name, matrix in matrices}
    facts = rest[-1] if rest and isinstance(rest[-1], dict) else {}
    summary.update({key: facts[key] for key in CLEANING_FACTS if key in facts})
    return summary


def training(result: Dict[str, Any]) -> Dict[str, Any]:
    """The final models this run logged, their registry versions, and the champion after it."""
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect
    from mlops.utils.tracking.registry import registered_model_name
    from mlops.utils.tracking.schema import (
        FINAL_STAGE,
        MAGE_PIPELINE_RUN_ID,
        MAGE_PIPELINE_UUID,
        MODEL_FAMILY,
        ROLE,
        STAGE,
        VALIDATION_RMSE,
        champion_version,
    )

    experiment_id = connect()
    client = MlflowClient()
    runs = client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{MAGE_PIPELINE_UUID}` = '{result['pipeline']}' and "
            f"tags.`{MAGE_PIPELINE_RUN_ID}` = '{result['pipeline_run_id']}' and tags.{STAGE} = '{FINAL_STAGE}' "
            f'and attributes.start_time >= {int(result["started_at"] * 1000)}'
        ),
    )
    name = registered_model_name()
    models = []
    for run in runs:
        versions = client.search_model_versions(f"name = '{name}' and run_id = '{run.info.run_id}'")
        models.append(
            {
                'family': run.data.tags.get(MODEL_FAMILY),
                'validation_rmse': round(run.data.metrics[VALIDATION_RMSE], 4),
                'version': versions[0].version if versions else None,
                'role': versions[0].tags.get(ROLE) if versions else None,
            }
        )
    summary: Dict[str, Any] = {'models': sorted(models, key=lambda m: m['validation_rmse'])}
    champion = champion_version(client, name)
    summary['champion'] = (
        None
        if champion is None
        else {
            'model': name,
            'version': champion.version,
            'validation_rmse': round(float(champion.tags[VALIDATION_RMSE]), 4),
        }
    )
    return summary


# What a batch-scoring run reports (its last block's output, ``batch_scoring.steps.batch_summary``).
BATCH_SCORING_FACTS = (
    'model',
    'model_version',
    'months',
    'skipped_months',
    'rows_in',
    'rows_scored',
    'rows_refused',
    'refused',
    'outputs',
    'mlflow_run_id',
)


def batch_scoring(result: Dict[str, Any]) -> Dict[str, Any]:
    """The rows scored and refused (per reason), the files written and the model version."""
    outputs = read_block_outputs(
        project_dir(result['project']),
        result['pipeline'],
        pipelines.BATCH_SCORING_SUMMARY_BLOCK,
        result['execution_partition'],
    )
    facts = outputs[0] if outputs and isinstance(outputs[0], dict) else {}
    return {key: facts[key] for key in BATCH_SCORING_FACTS if key in facts}


SUMMARIES: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    pipelines.DATA_PREPARATION.pipeline: data_preparation,
    pipelines.PREPARE_TRAINING_SET.pipeline: data_preparation,
    pipelines.SKLEARN_TRAINING.pipeline: training,
    pipelines.XGBOOST_TRAINING.pipeline: training,
    pipelines.BATCH_SCORING.pipeline: batch_scoring,
}


def summarize(result: Dict[str, Any]) -> Dict[str, Any]:
    summary = SUMMARIES.get(result['pipeline'])
    return summary(result) if summary else {}
