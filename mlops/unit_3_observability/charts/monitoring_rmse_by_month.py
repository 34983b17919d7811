from mlops.utils.observability.dashboard import monitoring_by_month

x, y = monitoring_by_month('rmse')
