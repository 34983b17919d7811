"""Batch scoring: a registered model's predictions for whole months of trips, written as one
Parquet file per month and model version (the ``batch_scoring`` pipeline of unit_4_triggering).

variables (the pipeline's variables, checked) -> plan (which version, which months; MLflow and
the source asked) -> scoring (cleaning + prediction, no MLflow) -> output (where files go,
written atomically) -> record (the MLflow run); steps ties them together for the blocks, scoring
month after month in the block's process or, with ``compute=dask``, one task per month on the
Dask workers (on_dask), with the same per-month function and files.
"""
