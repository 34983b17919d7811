from mlops.utils.observability.cleaning_dashboard import dropped_rows_table, latest_cleaning_report

x, y = dropped_rows_table(latest_cleaning_report())
