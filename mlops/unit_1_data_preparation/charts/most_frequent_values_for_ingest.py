from mlops.utils.observability.profiles import first_frame, most_frequent_values

columns, index, rows = most_frequent_values(first_frame(df_1))  # noqa: F821 (df_1 is given by Mage)
