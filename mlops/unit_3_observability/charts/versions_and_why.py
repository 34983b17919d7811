from mlops.utils.observability.dashboard import versions_and_why

x, y = versions_and_why()
