import pytest

from mlops.utils.errors import ConfigError
from mlops.utils.models.config import model_names, params_for, training_settings
from mlops.utils.models.families import DEFAULT_SKLEARN_MODELS, sklearn_family
from mlops.utils.models.steps import check_fixed_params


def test_models_default_to_all_six_and_accept_lists():
    assert model_names('') == DEFAULT_SKLEARN_MODELS and len(DEFAULT_SKLEARN_MODELS) == 6
    assert model_names(' linear_model.Lasso , svm.LinearSVR ') == ['linear_model.Lasso', 'svm.LinearSVR']
    with pytest.raises(ConfigError, match="unknown model 'linear_model.Ridge'"):
        model_names('linear_model.Lasso,linear_model.Ridge')


@pytest.mark.parametrize('value, message', [
    ('ten', "max_evaluations must be a whole number, got 'ten'"),
    ('-1', 'max_evaluations must be at least 1, got -1'),
    ('0', 'max_evaluations must be at least 1, got 0'),
    ('2.5', "max_evaluations must be a whole number, got '2.5'"),
])
def test_bad_budgets_are_named(value, message):
    with pytest.raises(ConfigError, match=message):
        training_settings({'max_evaluations': value})


def test_budget_defaults_to_each_family():
    settings = training_settings({})
    assert settings.budget(7) == 7 and training_settings({'max_evaluations': '3'}).budget(7) == 3


@pytest.mark.parametrize('value, message', [
    ('{"alpha": 0.1', 'hyperparameters is not valid JSON'),
    ('[0.1]', 'hyperparameters must be a JSON object'),
])
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
