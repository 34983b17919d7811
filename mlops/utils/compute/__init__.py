"""Where data preparation and XGBoost training run: in the block's own process with pandas
(``compute=pandas``, the default) or on a Dask cluster (``compute=dask``).

On Dask, prepared rows stay on disk as one Parquet file per month (``partitions``) and block
outputs are references to them; the workers read, clean, vectorize and train. Nothing here
knows of Mage or MLflow.
"""
