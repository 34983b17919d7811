from mlops.utils.model_card.record import champion_card, slice_chart

x, y = slice_chart(champion_card())  # table: the validation errors by slice, as the champion's card holds them
