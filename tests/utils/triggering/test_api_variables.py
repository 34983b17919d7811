"""What an API trigger's caller may set: the allow-lists against the pipelines' own variables,
each refusal named, and the gate that applies them only to runs of the API triggers."""

from __future__ import annotations

import json

import pytest

from mlops.utils import pipelines
from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.chain import CHAIN, Step
from mlops.utils.triggering.api_variables import (
    ALLOW_DATA_SOURCE_ENV,
    ALLOWED,
    CHILD_TIMEOUT_BOUNDS,
    TRAINING_ALLOWED,
    TRAINING_BOUNDS,
    check_api_run,
    check_posted,
    child_timeout_seconds,
)
from mlops.utils.triggering.retraining import TRAINING_VARIABLES

RETRAIN_NOW = pipelines.RETRAIN_NOW
PREDICT_API = pipelines.PREDICT_API


def declared(name: pipelines.PipelineName) -> dict:
    return Step(name.project, name.pipeline).declared_variables()


def test_every_allowed_name_is_a_variable_its_pipeline_declares():
    assert set(ALLOWED[RETRAIN_NOW]) <= set(declared(pipelines.AUTOMATIC_RETRAINING))
    assert set(ALLOWED[PREDICT_API]) == set(declared(pipelines.PREDICT))
    by_pipeline = {step.pipeline: step for step in CHAIN}
    for pipeline, name in TRAINING_VARIABLES.items():
        training = by_pipeline[pipeline].declared_variables()
        assert set(TRAINING_ALLOWED[name]) <= set(training) - {'hyperparameters'}
        for variable in TRAINING_ALLOWED[name]:
            if variable == 'models':
                continue
            low, high = TRAINING_BOUNDS[variable]
            default = training[variable]
            assert default == '' or low <= default <= high, (pipeline, variable)  # the defaults pass


def test_what_an_operator_posts_by_default_passes():
    check_posted(RETRAIN_NOW, {})
    check_posted(
        RETRAIN_NOW,
        {
            'sklearn_variables': json.dumps({'models': 'linear_model.LinearRegression,', 'max_evaluations': '2'}),
            'xgboost_variables': {'max_evaluations': 100, 'num_boost_round': 60, 'max_depth': 10},
            'child_timeout_seconds': '600',
            'data_source': '',
        },
    )
    check_posted(RETRAIN_NOW, {'data_source': 'https://example.org/data'}, environ={ALLOW_DATA_SOURCE_ENV: 'on'})
    check_posted(PREDICT_API, {'inputs': [{'PULocationID': 1}]})  # values: inference/inputs.py's


@pytest.mark.parametrize(
    'trigger, posted, message',
    [
        (
            RETRAIN_NOW,
            {'colour': 'green'},
            'retrain_now takes no variable(s) colour through the API; it takes data_source, sklearn_variables, '
            'xgboost_variables, child_timeout_seconds',
        ),
        (RETRAIN_NOW, {'trigger_name': 'daily_retraining'}, 'retrain_now takes no variable(s) trigger_name'),
        (PREDICT_API, {'inputs': '[]', 'pipeline_run_id': 3}, 'predict_api takes no variable(s) pipeline_run_id'),
        (
            RETRAIN_NOW,
            {'data_source': '/etc'},
            "data_source cannot be set through the API (got '/etc'): the operator allows it with "
            'MLOPS_API_ALLOW_DATA_SOURCE=on',
        ),
        (
            RETRAIN_NOW,
            {'child_timeout_seconds': 'nan'},
            "child_timeout_seconds must be a finite number in [60, 86400], got 'nan'",
        ),
        (
            RETRAIN_NOW,
            {'child_timeout_seconds': 'abc'},
            "child_timeout_seconds must be a finite number in [60, 86400], got 'abc'",
        ),
        (
            RETRAIN_NOW,
            {'child_timeout_seconds': float('inf')},
            'child_timeout_seconds must be a finite number in [60, 86400], got inf',
        ),
        (
            RETRAIN_NOW,
            {'child_timeout_seconds': -1},
            'child_timeout_seconds must be a finite number in [60, 86400], got -1',
        ),
        (
            RETRAIN_NOW,
            {'child_timeout_seconds': 10**400},
            'child_timeout_seconds must be a finite number in [60, 86400]',
        ),
        (
            RETRAIN_NOW,
            {'sklearn_variables': {'hyperparameters': {'alpha': 1}}},
            'sklearn_variables: hyperparameters cannot be set through an API trigger; it takes models, '
            'max_evaluations, random_state, max_tuning_seconds',
        ),
        (
            RETRAIN_NOW,
            {'xgboost_variables': {'max_evaluations': 101}},
            'xgboost_variables.max_evaluations must be a whole number in [1, 100], got 101',
        ),
        (
            RETRAIN_NOW,
            {'xgboost_variables': '{"num_boost_round": 1000000}'},
            'xgboost_variables.num_boost_round must be a whole number in [1, 10000], got 1000000',
        ),
        (
            RETRAIN_NOW,
            {'xgboost_variables': {'max_depth': 'nan'}},
            "xgboost_variables.max_depth must be a whole number in [4, 100], got 'nan'",
        ),
        (
            RETRAIN_NOW,
            {'xgboost_variables': {'early_stopping_rounds': 2.5}},
            'xgboost_variables.early_stopping_rounds must be a whole number in [0, 1000], got 2.5',
        ),
        (
            RETRAIN_NOW,
            {'sklearn_variables': {'max_tuning_seconds': 10**20}},
            'sklearn_variables.max_tuning_seconds must be a whole number in [1, 7200], got 100000000000000000000',
        ),
        (
            RETRAIN_NOW,
            {'sklearn_variables': {'random_state': -1}},
            'sklearn_variables.random_state must be a whole number in [0, 4294967295], got -1',
        ),
        (RETRAIN_NOW, {'sklearn_variables': {'max_evaluations': True}}, 'sklearn_variables.max_evaluations must be'),
        (
            RETRAIN_NOW,
            {'sklearn_variables': {'models': 'linear_model.Ridge'}},
            'sklearn_variables.models must be comma-separated names from linear_model.LinearRegression, ',
        ),
        (RETRAIN_NOW, {'sklearn_variables': {'models': ' , '}}, 'sklearn_variables.models must be comma-separated'),
        (RETRAIN_NOW, {'sklearn_variables': '{max_evaluations: 2}'}, 'sklearn_variables is not valid JSON'),
    ],
)
def test_a_refused_request_is_named(trigger, posted, message):
    with pytest.raises(ConfigError) as refused:
        check_posted(trigger, posted, environ={})
    assert message in str(refused.value)


def test_the_operators_switch_is_on_or_off():
    with pytest.raises(ConfigError, match="MLOPS_API_ALLOW_DATA_SOURCE must be on or off, got 'yes'"):
        check_posted(RETRAIN_NOW, {'data_source': '/data'}, environ={ALLOW_DATA_SOURCE_ENV: 'yes'})
    with pytest.raises(ConfigError, match='data_source cannot be set'):
        check_posted(RETRAIN_NOW, {'data_source': '/data'}, environ={ALLOW_DATA_SOURCE_ENV: 'off'})


def test_child_timeout_default_and_bounds_hold_for_every_run():
    assert child_timeout_seconds({}) == 7200.0 and child_timeout_seconds({'child_timeout_seconds': ''}) == 7200.0
    assert child_timeout_seconds({'child_timeout_seconds': '60'}) == CHILD_TIMEOUT_BOUNDS[0]
    assert child_timeout_seconds({'child_timeout_seconds': 86400}) == CHILD_TIMEOUT_BOUNDS[1]
    for bad in ('nan', 'inf', 0, 59, 86401):
        with pytest.raises(ConfigError, match='child_timeout_seconds must be a finite number in'):
            child_timeout_seconds({'child_timeout_seconds': bad})


def test_only_runs_of_the_api_trigger_are_looked_up_and_checked():
    looked_up = []

    def posted_of(run_id):
        looked_up.append(run_id)
        return {'colour': 'green'}

    # the operator's runs: a time trigger, the UI, the runner, a block run in the editor
    for variables in ({'trigger_name': 'daily_retraining', 'pipeline_run_id': 1}, {'colour': 'green'}, {}):
        check_api_run(RETRAIN_NOW, variables, posted_of=posted_of)
    assert looked_up == []
    with pytest.raises(ConfigError, match=r'retrain_now takes no variable\(s\) colour'):
        check_api_run(RETRAIN_NOW, {'trigger_name': 'retrain_now', 'pipeline_run_id': 7}, posted_of=posted_of)
    assert looked_up == [7]
    check_api_run(
        PREDICT_API, {'trigger_name': 'predict_api', 'pipeline_run_id': 8}, posted_of=lambda _: {'inputs': []}
    )
