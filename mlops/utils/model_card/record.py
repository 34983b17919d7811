"""Where a card lives: two artifacts of the version's run (``model_card/model_card.json`` and
``.md``) and the version tag ``model_card`` naming the JSON; a version whose card could not be
made or written carries ``model_card_missing`` (why) instead.

The card is documentation, never a gate: ``publish`` writes it after the registry has decided
and never raises, so a card that fails can neither stop a better model from becoming champion
nor leave the alias half moved. The failure is said in the run log (a ``WARNING`` line) and on
the version (``model_card_missing``), where the dashboards and ``card_of`` read it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

from mlops.utils.model_card.card import JSON_ARTIFACT, MARKDOWN_ARTIFACT, with_decision
from mlops.utils.model_card.markdown import render
from mlops.utils.tracking.schema import MODEL_CARD, MODEL_CARD_MISSING, champion_version

MAX_REASON = 500  # characters of a failure kept in the version tag (MLflow allows 5000)


def failure(error: BaseException) -> str:
    """``Type: message (file:line)``: the error and where it was raised, short enough for a tag."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f' ({Path(frames[-1].filename).name}:{frames[-1].lineno})' if frames else ''
    return f'{type(error).__name__}: {error}{where}'[:MAX_REASON]


def publish(
    client: Any,
    name: str,
    promotion: Any,
    mode: str,
    figures: Optional[Dict[str, Any]],
    not_computed: Optional[str],
    log: Callable[[str], None] = print,
) -> Optional[Dict[str, Any]]:
    """Write the card of ``promotion.version`` (``figures`` from ``card.card_figures`` plus the
    decision) to its run and tag the version; or, when the figures could not be computed
    (``not_computed``) or writing fails, tag why and log a warning. Returns the card written."""
    started = time.perf_counter()
    version = str(promotion.version)
    try:
        if figures is None:
            raise RuntimeError(f'the figures could not be computed: {not_computed}')
        card = with_decision(figures, name, promotion, mode)
        run_id = card['model']['run_id']
        client.log_dict(run_id, card, JSON_ARTIFACT)
        client.log_text(run_id, render(card), MARKDOWN_ARTIFACT)
        client.set_model_version_tag(name, version, MODEL_CARD, JSON_ARTIFACT)
    except Exception as error:
        reason = failure(error) if figures is not None else str(error)[:MAX_REASON]
        log(f'WARNING: {name} version {version} has no model card: {reason}')
        try:
            client.set_model_version_tag(name, version, MODEL_CARD_MISSING, reason)
        except Exception as tagging:  # the registry itself is gone: the log line is all there is
            log(f'WARNING: {name} version {version}: the missing card could not be tagged either: {failure(tagging)}')
        return None
    log(
        f'model card of {name} version {version}: figures computed in {figures["seconds_to_compute"]:.2f} s, '
        f'written in {time.perf_counter() - started:.2f} s ({JSON_ARTIFACT}, {MARKDOWN_ARTIFACT} of run {run_id})'
    )
    return card


def card_of(client: Any, name: str, version: str) -> Dict[str, Any]:
    """The card of a version as its tags say: ``{'card': dict}``, or ``{'missing': why}``."""
    registered = client.get_model_version(name, str(version))
    tags = registered.tags or {}
    if MODEL_CARD not in tags:
        return {'missing': tags.get(MODEL_CARD_MISSING, 'registered without a model card')}
    with tempfile.TemporaryDirectory(prefix='mlops-card-') as folder:
        path = client.download_artifacts(registered.run_id, tags[MODEL_CARD], folder)
        return {'card': json.loads(Path(path).read_text())}


def champion_card(name: Optional[str] = None) -> Dict[str, Any]:
    """The champion's card for a dashboard: ``{'card': ..., 'version', 'run_id', 'tracking'}``,
    ``{'missing': why, ...}`` or ``{'missing': 'no champion yet'}``. Reads a tag and one artifact
    (charts run in Mage's request handler: nothing is computed here). A tracking store that cannot
    be used fails the chart naming it (``connect``), as every chart of the page does; an artifact
    that cannot be read is a missing card, said in the server log."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from mlops.utils.tracking.mlflow_setup import connect, tracking_uri
    from mlops.utils.tracking.registry import registered_model_name

    connect()
    name = name or registered_model_name()
    client = MlflowClient(tracking_uri())
    champion = champion_version(client, name)
    if champion is None:
        return {'missing': 'no champion yet'}
    where = {'version': str(champion.version), 'run_id': champion.run_id, 'tracking': tracking_uri()}
    try:
        return {**card_of(client, name, str(champion.version)), **where}
    except (MlflowException, OSError, ValueError) as error:
        print(f'[mlops] the model card of {name} version {champion.version} was not read: {error}', file=sys.stderr)
        return {'missing': f'not read: {type(error).__name__}: {error}'[:MAX_REASON], **where}


HOUR_PREFIX = 'hour '  # hour slices are labelled 07:00 on the card: on the dashboard, hour 07:00


def slice_chart(found: Mapping[str, Any]):
    """Table x, y for a dashboard: every slice of the card (the slice, trips, RMSE and MAE in
    minutes to 2 decimals), all trips first, then distance deciles, pickup hours, busiest routes."""
    columns = ['slice', 'trips', 'RMSE (min)', 'MAE (min)']
    card = found.get('card')
    if not card:
        return columns, []

    def row(label: str, figures: Mapping[str, Any]):
        return [
            label,
            figures['trips'],
            *(None if figures[k] is None else round(figures[k], 2) for k in ('rmse', 'mae')),
        ]

    validation = card['validation']
    rows = [row('all trips', validation['overall'])]
    for table, entries in validation['slices'].items():
        prefix = HOUR_PREFIX if table == 'pickup_hour' else ''
        rows += [row(prefix + entry['slice'], entry) for entry in entries]
    return columns, rows


def summary_chart(found: Mapping[str, Any]):
    """Table x, y: what the champion's card says in a few lines, and where the whole card is (its
    run's artifact; on an MLflow server, also the version's page in MLflow's UI)."""
    from mlops.utils.models.families import display_name

    columns = ['about', 'champion model card']
    card = found.get('card')
    if not card:
        return columns, [['card', f'missing: {found.get("missing", "")}']]
    model, data, decision = card['model'], card['data'], card.get('decision') or {}
    overall = card['validation']['overall']
    top = card['explanation'].get('top_features') or []
    drift = card['drift'].get('figures') or {}
    where = f'{MARKDOWN_ARTIFACT} of run {model["run_id"]}'
    tracking = str(found.get('tracking') or '')
    if tracking.startswith(('http://', 'https://')):
        where += f' ({tracking.rstrip("/")}/#/models/{model.get("name")}/versions/{model.get("version")})'
    rows = [
        ['version', f'{model.get("name")} v{model.get("version")} ({display_name(model["family"])})'],
        ['decision', f'{decision.get("role", "?")} (champion before: {decision.get("champion_before") or "none"})'],
        ['data', f'{data.get("training_months")} -> {data.get("validation_months")} ({data.get("taxi_colour")})'],
        ['validation', f'RMSE {overall["rmse"]:.2f}, MAE {overall["mae"]:.2f} min on {overall["trips"]:,} trips'],
        ['top features', ', '.join(f['feature'] for f in top[:3]) or card['explanation'].get('reason', '')],
        ['unseen routes', f'{drift["unseen_routes"]:.1%}' if 'unseen_routes' in drift else 'not computed'],
        ['card', where],
    ]
    return columns, rows
