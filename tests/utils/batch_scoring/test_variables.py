"""The pipeline's variables: defaults, and each wrong value named before any work."""

import pytest

from mlops.utils.batch_scoring.variables import batch_variables, flag, output_folder
from mlops.utils.errors import ConfigError


def test_empty_variables_leave_every_choice_to_the_plan(monkeypatch, tmp_path):
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path))
    variables = batch_variables({'start_month': '', 'end_month': '', 'model_version': '', 'output': ''})
    assert variables.start_month is None and variables.end_month is None
    assert variables.taxi_colour is None and variables.data_source is None and variables.model_version is None
    assert variables.output == tmp_path / 'batch_scoring'
    assert variables.score_new_months is False
    assert variables.compute == 'pandas'


def test_values_are_read_as_data_preparation_reads_them(tmp_path):
    variables = batch_variables(
        {
            'start_month': '2024-1',
            'end_month': ' 2024-02 ',
            'taxi_colour': 'yellow',
            'data_source': f' {tmp_path} ',
            'model_version': 7,
            'output': f'file://{tmp_path}/out',
            'compute': 'pandas',
        }
    )
    assert (variables.start_month, variables.end_month) == ('2024-01', '2024-02')
    assert variables.taxi_colour == 'yellow' and variables.data_source == str(tmp_path)
    assert variables.model_version == '7'
    assert variables.output == tmp_path / 'out'
    assert variables.compute == 'pandas'


@pytest.mark.parametrize(
    'value, expected', [('dask', 'dask'), (' Dask ', 'dask'), ('pandas', 'pandas'), ('', 'pandas')]
)
def test_compute_chooses_where_the_months_are_scored(value, expected):
    assert batch_variables({'compute': value}).compute == expected


def test_a_relative_output_is_taken_from_the_repository_root():
    from mlops.utils.paths import REPO_ROOT

    assert output_folder('scores/batch') == REPO_ROOT / 'scores' / 'batch'


@pytest.mark.parametrize(
    'kwargs, message',
    [
        ({'start_month': '2024/01'}, "start_month must look like YYYY-MM, got '2024/01'"),
        ({'end_month': '2024-13'}, 'end_month has month 13'),
        ({'start_month': '2024-02', 'end_month': '2024-01'}, "end_month '2024-01' is before start_month '2024-02'"),
        ({'taxi_colour': 'red'}, "taxi_colour must be one of green, yellow, got 'red'"),
        ({'data_source': ['a']}, 'data_source must be text'),
        ({'model_version': 'latest'}, "model_version must be a registered version number .* got 'latest'"),
        ({'model_version': '0'}, 'model_version must be a registered version number'),
        ({'model_version': True}, 'model_version must be text'),
        ({'output': 's3://bucket/scores'}, 'output .* give a folder or a file:// URL'),
        ({'output': 'file://host/scores'}, 'a file:// URL names a folder of this machine'),
        ({'compute': 'spark'}, "compute='spark'"),
        ({'score_new_months': 'maybe'}, "score_new_months must be true or false, got 'maybe'"),
        (
            {'score_new_months': True, 'end_month': '2024-02'},
            'score_new_months chooses the months itself',
        ),
    ],
)
def test_a_wrong_value_is_named(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        batch_variables(kwargs)


def test_an_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / 'scores').write_text('')
    with pytest.raises(ConfigError, match='is a file, not a folder'):
        output_folder(str(tmp_path / 'scores'))


@pytest.mark.parametrize('value, expected', [(True, True), ('true', True), ('ON', True), (False, False), ('', False)])
def test_a_flag_takes_yaml_booleans_and_their_words(value, expected):
    assert flag({'score_new_months': value}, 'score_new_months') is expected
    assert flag({}, 'score_new_months') is False
