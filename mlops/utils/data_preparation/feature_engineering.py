"""The seed's ``feature_engineering`` module: ``combine_features`` adds ``PU_DO``.

One implementation: it lives in ``mlops.utils.model_code.features`` because the registered model
ships that package and must build its features exactly as training did.
"""

from mlops.utils.model_code.features import combine_features

__all__ = ['combine_features']
