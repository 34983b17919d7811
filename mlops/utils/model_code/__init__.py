"""What a registered model needs at prediction time, and nothing else.

This package (with ``mlops/utils/errors.py``) is copied into every logged model, so it imports
only numpy, pandas, scipy, scikit-learn, mlflow and, for boosters, xgboost. Training and data
preparation import their feature step from here: the served model computes features exactly
as training did.
"""
