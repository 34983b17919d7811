"""The card as Markdown a person reads in MLflow's artifact view: short sections, small tables,
minutes to two decimals. Everything shown comes from the card's dict (``card.py``)."""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence

SLICE_TITLES = {
    'distance_deciles': 'By trip distance (deciles of the validation trips)',
    'pickup_hour': 'By pickup hour of day',
    'busiest_routes': 'The busiest routes (pickup_dropoff zone ids)',
}


def minutes(value: Optional[float]) -> str:
    return '—' if value is None else f'{value:.2f}'


def count(value: Any) -> str:
    return f'{value:,}' if isinstance(value, int) else str(value)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> List[str]:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return lines


def slice_table(rows: Sequence[Mapping[str, Any]]) -> List[str]:
    return table(
        ['slice', 'trips', 'RMSE (min)', 'MAE (min)'],
        ([r['slice'], count(r['trips']), minutes(r['rmse']), minutes(r['mae'])] for r in rows),
    )


def _header(card: Mapping[str, Any]) -> List[str]:
    model = card['model']
    title = f'# Model card: {model.get("name", "?")} version {model.get("version", "?")}'
    return [
        title,
        '',
        f'{model["family"]}, MLflow run `{model["run_id"]}` ({model.get("final_fit", "")}); '
        f'computed in {card.get("seconds_to_compute", 0):.2f} s when it was registered.',
    ]


def _decision(card: Mapping[str, Any]) -> List[str]:
    decision = card.get('decision')
    if not decision:
        return ['## Decision', '', 'Not recorded: the card was written before the registry decided.']
    champion = decision['champion_before']
    compared = (
        f'champion version {champion}, RMSE {minutes(decision["champion_rmse_on_same_rows"])} minutes on the same '
        'validation rows'
        if champion and decision['champion_rmse_on_same_rows'] is not None
        else (f'champion version {champion}, not compared on these rows' if champion else 'no champion before it')
    )
    return [
        '## Decision',
        '',
        f'- validation RMSE {minutes(decision["validation_rmse"])} minutes; compared with: {compared}',
        f'- promote={decision["promote"]}: **{decision["role"]}**'
        + (' (now the champion)' if decision['promoted'] else ''),
    ]


def _data(data: Mapping[str, Any]) -> List[str]:
    lines = [
        '## Data',
        '',
        f'{data.get("taxi_colour", "?")} taxi trips from `{data.get("data_source", "?")}`: trained on '
        f'{data.get("training_months", "?")} ({count(data.get("training_rows", "?"))} trips), validated on '
        f'{data.get("validation_months", "?")} ({count(data.get("validation_rows", "?"))} trips); pickups '
        f'{data.get("data_start", "?")} to {data.get("data_end", "?")}, split at {data.get("validation_start", "?")}. '
        f'Target {data.get("target")} ({data.get("target_unit")}), trips of {data["duration_rule_minutes"][0]} to '
        f'{data["duration_rule_minutes"][1]} minutes; {data.get("inputs_and_features", "")}.',
        '',
    ]
    datasets = data.get('datasets') or {}
    if datasets:
        lines += table(
            ['rows', 'MLflow dataset', 'trips', 'digest (SHA-256 of every row)'],
            ([context, d['name'], count(d['rows']), f'`{d["digest"]}`'] for context, d in datasets.items()),
        )
    else:
        lines.append('No MLflow datasets were logged for these rows (kept on a Dask cluster): no digests.')
    return lines


def _validation(validation: Mapping[str, Any]) -> List[str]:
    overall = validation['overall']
    lines = [
        '## Validation error',
        '',
        f'Overall: RMSE {minutes(overall["rmse"])}, MAE {minutes(overall["mae"])} minutes on {overall["trips"]:,} trips.',
    ]
    for name, rows in validation['slices'].items():
        lines += ['', f'### {SLICE_TITLES.get(name, name)}', '']
        lines += slice_table(rows) if rows else ['Not available for these rows.']
    return lines


def _explanation(explanation: Mapping[str, Any]) -> List[str]:
    lines = ['## Top features (mean absolute SHAP value, minutes)', '']
    if not explanation.get('available'):
        return lines + [f'Not available: {explanation.get("reason", "")}.']
    lines.append(f'{explanation["method"]} on {explanation["trips"]} validation trips (`{explanation["artifact"]}`).')
    lines.append('')
    return lines + table(
        ['feature', 'mean abs. SHAP (min)'],
        ([f['feature'], f'{f["mean_abs_minutes"]:.3f}'] for f in explanation['top_features']),
    )


def _drift(drift: Mapping[str, Any]) -> List[str]:
    lines = ['## Drift: validation month against the training months', '']
    if not drift.get('computed'):
        return lines + [f'Not computed: {drift.get("reason", "")}.']
    lines.append(f'Reference: {drift["reference"]}.')
    lines.append('')
    lines += table(['figure', 'value'], ([k, f'{v:.4f}'] for k, v in drift['figures'].items()))
    beyond = drift.get('beyond_thresholds') or []
    lines += ['', "Beyond monitoring's thresholds: " + ('; '.join(beyond) if beyond else 'none') + '.']
    return lines


def _reproduction(reproduction: Mapping[str, Any]) -> List[str]:
    data = ' '.join(f'--set {k}={v}' for k, v in reproduction['data_variables'].items() if k != 'data_source')
    source = reproduction['data_variables'].get('data_source', '')
    lines = [
        '## Reproduce it',
        '',
        '```bash',
        f'./scripts/run.sh --source {source} --pipelines prepare_training_set {data}'.rstrip(),
        reproduction.get('command', './scripts/run.sh --reproduce VERSION'),
        '```',
        '',
    ]
    lines += table(
        ['pipeline variable', 'value'], ([k, f'`{v}`'] for k, v in reproduction['pipeline_variables'].items())
    )
    return lines + ['', 'Packages: ' + ', '.join(f'`{p}`' for p in reproduction['packages']) + '.']


def render(card: Mapping[str, Any]) -> str:
    """The whole card as Markdown."""
    sections = [
        _header(card),
        ['## Intended use', '', card['intended_use'], '', '## Known limits', '']
        + [f'- {limit}' for limit in card['limits']],
        _decision(card),
        _data(card['data']),
        _validation(card['validation']),
        _explanation(card['explanation']),
        _drift(card['drift']),
        _reproduction(card['reproduction']),
    ]
    return '\n\n'.join('\n'.join(section) for section in sections) + '\n'
