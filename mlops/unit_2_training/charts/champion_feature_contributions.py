from mlops.utils.observability.explain import champion_contributions, top_features

x, y = top_features(champion_contributions())
