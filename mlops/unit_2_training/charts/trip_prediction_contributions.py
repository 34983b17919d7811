from mlops.utils.observability.champion_explanation import champion_explanation, trip_chart

x, y = trip_chart(champion_explanation())  # table: column names, rows, as logged with the champion
