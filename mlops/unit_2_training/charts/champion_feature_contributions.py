from mlops.utils.observability.champion_explanation import champion_explanation, top_features_chart

x, y = top_features_chart(champion_explanation())  # read from the champion's run: nothing computed here
