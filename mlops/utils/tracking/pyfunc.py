"""Where models registered before ``mlops.utils.serving`` existed find their class: their
pickles name ``mlops.utils.tracking.pyfunc.TripDurationModel`` (same attributes)."""

from mlops.utils.serving.model import TripDurationModel  # noqa: F401
