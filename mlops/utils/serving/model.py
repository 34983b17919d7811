"""See the package docstring: the old path of model_code.model, for pickles."""

from mlops.utils.model_code.model import TripDurationModel  # noqa: F401
