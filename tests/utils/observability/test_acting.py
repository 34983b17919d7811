"""The decision of monitoring that acts: k breaches among the last n scored months, the newest
among them; its variables and bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops.utils.errors import ConfigError
from mlops.utils.observability.acting import (
    BREACHES_VARIABLE,
    DEFAULT_BREACHES,
    DEFAULT_MONTHS,
    MONTHS_VARIABLE,
    ActingPolicy,
    ScoredMonth,
    judge,
)
from mlops.utils.observability.month_evaluation import Thresholds

WITHIN = {'rmse': 5.0, 'rmse_increase': 0.05, 'unseen_routes': 0.01, 'trip_distance_psi': 0.01, 'predictions_psi': 0.02}
BREACHED = {**WITHIN, 'trip_distance_psi': 0.9}  # the distances drifted: PSI over the 0.25 default


def scored(*months: str) -> list:
    """'2023-03!' breached, '2023-03' within every threshold."""
    return [ScoredMonth(m.rstrip('!'), f'run-{m}', BREACHED if m.endswith('!') else WITHIN) for m in months]


@pytest.mark.parametrize(
    'months, due',
    [
        (('2023-03!',), False),  # a single breach never retrains
        (('2023-03!', '2023-04'), False),
        (('2023-03!', '2023-04!'), True),
        (('2023-02!', '2023-03', '2023-04!'), True),
        (('2023-02!', '2023-03!', '2023-04'), False),  # not in the newest
        (('2023-01!', '2023-02!', '2023-03', '2023-04', '2023-05!'), False),  # only the last 3 count
        (('2023-04!', '2023-02!', '2023-03'), True),  # judged in month order, whatever the runs' order
        ((), False),
    ],
)
def test_two_breaches_of_the_last_three_with_the_newest_among_them(months, due):
    judgement = judge(scored(*months), ActingPolicy(), Thresholds(), '3')
    assert judgement.due is due, judgement.why
    assert judgement.judged == tuple(sorted(m.rstrip('!') for m in months))[-3:]
    assert 'version 3' in judgement.why


def test_the_months_judged_are_the_key_and_the_why_names_them():
    judgement = judge(scored('2023-02!', '2023-03', '2023-04!'), ActingPolicy(), Thresholds(), '7')
    assert judgement.key == '2023-02,2023-03,2023-04'
    assert judgement.breached == ('2023-02', '2023-04')
    assert '2 of its last 3 scored month(s) 2023-02..2023-04 (2023-02, 2023-04)' in judgement.why


def test_the_thresholds_of_the_judging_run_judge_the_stored_figures():
    months = scored('2023-03!', '2023-04!')
    assert judge(months, ActingPolicy(), Thresholds(), '1').due
    assert not judge(months, ActingPolicy(), Thresholds(psi=1.0), '1').due


def test_off_never_retrains():
    judgement = judge(scored('2023-03!', '2023-04!'), ActingPolicy(0, 3), Thresholds(), '1')
    assert not judgement.due and 'off' in judgement.why


@pytest.mark.parametrize(
    'variables, policy',
    [
        ({}, (DEFAULT_BREACHES, DEFAULT_MONTHS)),
        ({BREACHES_VARIABLE: '3', MONTHS_VARIABLE: 5}, (3, 5)),
        ({BREACHES_VARIABLE: 0}, (0, 3)),
    ],
)
def test_policy_from_variables(variables, policy):
    read = ActingPolicy.from_variables(variables)
    assert (read.breaches, read.months) == policy


@pytest.mark.parametrize(
    'variables, named',
    [
        ({BREACHES_VARIABLE: 1}, 'a single breach never starts a retraining'),
        ({BREACHES_VARIABLE: 4}, f'{BREACHES_VARIABLE} must be a whole number in [0, 3]'),
        ({MONTHS_VARIABLE: 1}, f'{MONTHS_VARIABLE} must be a whole number in [2, 12]'),
        ({MONTHS_VARIABLE: 13}, MONTHS_VARIABLE),
        ({BREACHES_VARIABLE: 'two'}, BREACHES_VARIABLE),
        ({BREACHES_VARIABLE: 2.5}, BREACHES_VARIABLE),
    ],
)
def test_a_bad_policy_is_named(variables, named):
    with pytest.raises(ConfigError, match=named.replace('[', r'\[').replace(']', r'\]')):
        ActingPolicy.from_variables(variables)


def test_the_pipelines_defaults_are_the_codes():
    metadata = Path(__file__).parents[3] / 'mlops/unit_3_observability/pipelines/monitoring/metadata.yaml'
    variables = yaml.safe_load(metadata.read_text())['variables']
    assert variables[BREACHES_VARIABLE] == DEFAULT_BREACHES and variables[MONTHS_VARIABLE] == DEFAULT_MONTHS
