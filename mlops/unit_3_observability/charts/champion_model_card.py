from mlops.utils.model_card.record import champion_card, summary_chart

x, y = summary_chart(champion_card())  # table: read from the champion's model card artifact, nothing computed
