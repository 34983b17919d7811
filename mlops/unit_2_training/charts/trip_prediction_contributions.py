from mlops.utils.observability.explain import champion_contributions, trip_contributions

TRIP = 0  # which trip of the champion's validation sample to explain: edit here or in the chart editor
x, y = trip_contributions(champion_contributions(), row=TRIP)  # table: column names, rows
