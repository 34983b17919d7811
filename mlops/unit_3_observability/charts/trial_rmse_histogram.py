from mlops.utils.observability.dashboard import trial_rmses

x = trial_rmses()
