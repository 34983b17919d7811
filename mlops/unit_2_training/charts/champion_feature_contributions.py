from mlops.utils.observability.champion_explanation import champion_explanation, top_features_chart

# A horizontal bar chart (route labels side by side overlap): named for its axes; Mage draws the
# first bar at the bottom, so the largest comes last.
features, minutes = top_features_chart(champion_explanation())  # read from the champion's run: nothing computed here
feature, mean_abs_shap_minutes = features[::-1], minutes[::-1]
