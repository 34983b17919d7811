from mlops.utils.observability.cleaning_dashboard import dropped_rows_by_reason, latest_cleaning_report

# Named for the axes: a horizontal bar chart labels them with the layout's x and y variable names.
reason, rows = dropped_rows_by_reason(latest_cleaning_report())
