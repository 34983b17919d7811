from mlops.utils.observability.dashboard import monitoring_by_month

# Named for the axes: a horizontal bar chart labels them with the layout's x and y variable names.
month, psi = monitoring_by_month('predictions_psi')
