from mlops.utils.observability.dashboard import alerts_by_month

x, y = alerts_by_month()
