"""Where models registered before ``mlops.utils.model_code`` existed find their class: their
pickles name ``mlops.utils.tracking.pyfunc.TripDurationModel`` (same attributes)."""

from mlops.utils.model_code.model import TripDurationModel  # noqa: F401
