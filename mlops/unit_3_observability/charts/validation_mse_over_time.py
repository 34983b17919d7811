from mlops.utils.observability.dashboard import logged_models, metric_over_time

x, y, legend = metric_over_time(logged_models(), 'mse')
