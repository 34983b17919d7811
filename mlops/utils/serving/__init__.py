"""The old name of ``mlops.utils.model_code`` (until 2026-12), kept for pickles only.

Versions registered before the rename pickle ``mlops.utils.serving.model.TripDurationModel`` and
``mlops.utils.serving.estimators.BoosterRegressor``. A process of this repository has already
imported ``mlops`` from here, so it finds those names through these re-exports, not in the code
the version ships. Remove the package when no store holds a version registered before the rename
(``tests/utils/model_code/test_model.py`` loads such a pickle).
"""
