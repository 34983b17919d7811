"""What a registered model needs at prediction time, and nothing else.

This package (with ``mlops/utils/errors.py``) is copied into every logged model, so it imports
only numpy, pandas, scipy, scikit-learn, mlflow and, for boosters, xgboost. Training and data
preparation import their feature step from here: the served model computes features exactly
as training did. The input rule every prediction path applies (``input_rule``) and the request
limits (``request_limits``) are here too, so a model carries the rule it was registered with.
"""
