from mlops.utils.observability.dashboard import training_trials_per_run

x, y = training_trials_per_run('xgboost_training')
