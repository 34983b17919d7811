from mlops.utils.observability.dashboard import best_rmse_by_family, logged_models

x, y = best_rmse_by_family(logged_models())
