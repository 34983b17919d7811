from mlops.utils.observability.dashboard import champion_history

x, y = champion_history()
