"""See the package docstring: the old path of model_code.estimators, for pickles."""

from mlops.utils.model_code.estimators import BoosterRegressor  # noqa: F401
