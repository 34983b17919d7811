"""The seed's ``feature_selector`` module: ``select_features`` keeps the model's features.

One implementation: it lives in ``mlops.utils.model_code.features`` because the registered model
ships that package and must select its features exactly as training did.
"""

from mlops.utils.model_code.features import CATEGORICAL_FEATURES, NUMERICAL_FEATURES, select_features

__all__ = ['CATEGORICAL_FEATURES', 'NUMERICAL_FEATURES', 'select_features']
