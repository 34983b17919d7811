from mlops.utils.observability.dashboard import trial_rmse_bins

x, y = trial_rmse_bins()
