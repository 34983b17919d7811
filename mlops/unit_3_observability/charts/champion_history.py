from mlops.utils.observability.dashboard import champion_history

# A horizontal bar chart (a dozen version labels side by side overlap), named for its axes; the
# first bar is drawn at the bottom: the newest version on top.
version, validation_rmse = champion_history()
