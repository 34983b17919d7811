from mlops.utils.observability.dashboard import logged_models, metric_by_training_run

x, y = metric_by_training_run(logged_models(), 'mse')
