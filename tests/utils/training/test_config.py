import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS, sklearn_family
from mlops.utils.training.config import model_names, params_for, training_settings
from mlops.utils.training.steps import check_fixed_params


def test_models_default_to_all_six_and_accept_lists():
    assert model_names('') == DEFAULT_SKLEARN_MODELS and len(DEFAULT_SKLEARN_MODELS) == 6
    assert model_names(' linear_model.Lasso , svm.LinearSVR ') == ['linear_model.Lasso', 'svm.LinearSVR']
    with pytest.raises(ConfigError, match="unknown model 'linear_model.Ridge'"):
        model_names('linear_model.Lasso,linear_model.Ridge')


@pytest.mark.parametrize(
    'value, message',
    [
        ('ten', "max_evaluations must be a whole number, got 'ten'"),
        ('-1', 'max_evaluations must be at least 1, got -1'),
        ('0', 'max_evaluations must be at least 1, got 0'),
        ('2.5', "max_evaluations must be a whole number, got '2.5'"),
    ],
)
def test_bad_budgets_are_named(value, message):
    with pytest.raises(ConfigError, match=message):
        training_settings({'max_evaluations': value})


def test_budget_defaults_to_each_family():
    settings = training_settings({})
    assert settings.budget(7) == 7 and training_settings({'max_evaluations': '3'}).budget(7) == 3


@pytest.mark.parametrize(
    'value, message',
    [
        ('{"alpha": 0.1', 'hyperparameters is not valid JSON'),
        ('[0.1]', 'hyperparameters must be a JSON object'),
    ],
)
def test_malformed_fixed_hyperparameters(value, message):
    with pytest.raises(ConfigError, match=message):
        training_settings({'hyperparameters': value})


def test_fixed_hyperparameters_by_family_or_flat():
    by_family = training_settings({'hyperparameters': '{"linear_model.Lasso": {"alpha": 0.1}}'})
    assert params_for(by_family, 'linear_model.Lasso') == {'alpha': 0.1}
    assert params_for(by_family, 'svm.LinearSVR') is None  # tuned as usual
    assert params_for(training_settings({'hyperparameters': {'alpha': 0.2}}), 'x') == {'alpha': 0.2}


def test_fixed_hyperparameters_must_be_known_scalars():
    lasso = sklearn_family('linear_model.Lasso')
    assert check_fixed_params(lasso, {'alpha': 0.1, 'max_iter': 100}) == {'alpha': 0.1, 'max_iter': 100}
    with pytest.raises(ConfigError, match='unknown alfa'):
        check_fixed_params(lasso, {'alfa': 0.1})
    with pytest.raises(ConfigError, match='alpha must be numbers, strings or booleans'):
        check_fixed_params(lasso, {'alpha': [0.1]})


@pytest.mark.parametrize('pipeline', ['sklearn_training', 'xgboost_training'])
def test_pipeline_defaults_are_the_codes_defaults(pipeline):
    """Each training pipeline declares its variables in metadata.yaml with DEFAULTS' values."""
    import yaml

    from mlops.utils.paths import project_dir
    from mlops.utils.training.config import DEFAULTS

    declared = yaml.safe_load((project_dir('unit_2_training') / 'pipelines' / pipeline / 'metadata.yaml').read_text())[
        'variables'
    ]
    assert declared and all(declared[name] == DEFAULTS[name] for name in declared), declared
    settings = training_settings(declared)
    assert (
        settings.random_state,
        settings.early_stopping_rounds,
        settings.num_boost_round,
        settings.max_depth,
        settings.max_tuning_seconds,
    ) == tuple(
        DEFAULTS[k]
        for k in ('random_state', 'early_stopping_rounds', 'num_boost_round', 'max_depth', 'max_tuning_seconds')
    )


def test_promote_defaults_to_auto_and_unknown_values_are_named():
    from mlops.utils.training.config import DEFAULTS

    assert training_settings({}).promote == DEFAULTS['promote'] == 'auto'
    assert training_settings({'promote': 'never'}).promote == 'never'
    with pytest.raises(ConfigError, match="promote must be auto, never or force, got 'sometimes'"):
        training_settings({'promote': 'sometimes'})


@pytest.mark.parametrize('promote', ['auto', 'force'])
def test_a_target_other_than_duration_is_refused_unless_promote_is_never(promote):
    from mlops.utils.training.config import check_target

    check_target('duration', training_settings({'promote': promote}))
    check_target('tip_amount', training_settings({'promote': 'never'}))  # an experiment: fine
    with pytest.raises(
        ConfigError,
        match=r'target tip_amount \(dollars\) is not what the champion serves: duration \(minutes\); '
        f'with promote={promote} the training set of target .tip_amount. is refused',
    ):
        check_target('tip_amount', training_settings({'promote': promote}))
