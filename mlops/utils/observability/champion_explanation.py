"""The champion's explanation as the xgboost_training Dashboard draws it: read from the
``explanations/shap.json`` artifact its final-model run logged (see ``explain.explanation``).

Mage runs chart code inside its server's request handler, so nothing here loads a model or
reads trips: two registry/artifact reads, and empty chart values when there is no champion,
it is not an XGBoost model (no artifact) or the tracking store does not answer.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from mlops.utils.observability.explain import ARTIFACT, EXACT, TRIP_COLUMNS
from mlops.utils.tracking.mlflow_setup import tracking_uri
from mlops.utils.tracking.registry import registered_model_name
from mlops.utils.tracking.schema import champion_version


def champion_explanation(name: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The artifact of ``models:/<name>@champion``'s run, or None."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri())
    try:
        champion = champion_version(client, name or registered_model_name())
        if champion is None:
            return None
        with tempfile.TemporaryDirectory(prefix='mlops-shap-') as folder:
            path = client.download_artifacts(champion.run_id, ARTIFACT, folder)
            return json.loads(Path(path).read_text())
    except MlflowException:  # a champion logged without explanations
        return None
    except OSError as error:  # artifact store unreadable: an empty chart, said in the server log
        print(f'[mlops] champion explanation not read: {error}', file=sys.stderr)
        return None


def _explained(explanation: Optional[Dict[str, Any]]) -> bool:
    return bool(explanation and explanation.get('explained'))


def _approximate(explanation: Dict[str, Any]) -> bool:
    return explanation.get('method') != EXACT


def top_features_chart(explanation: Optional[Dict[str, Any]]) -> Tuple[List[str], List[float]]:
    """Bar chart x, y: mean |contribution| (minutes) per feature; labels say when approximate."""
    if not _explained(explanation):
        return [], []
    top = explanation['top_features']
    suffix = ' (approximate)' if _approximate(explanation) else ''
    return [f'{name}{suffix}' for name in top['features']], list(top['mean_abs_minutes'])


def trip_chart(explanation: Optional[Dict[str, Any]]) -> Tuple[List[str], List[list]]:
    """Table columns, rows: one validation trip's prediction part by part; the first column's
    name says when the parts are approximate (Saabas, not SHAP)."""
    if not _explained(explanation):
        return TRIP_COLUMNS, []
    columns = list(explanation['trip']['columns'])
    if _approximate(explanation):
        columns[0] = f'{columns[0]} ({explanation["method"]})'
    return columns, [list(row) for row in explanation['trip']['rows']]
