from mlops.utils.observability.profiles import first_frame, unique_values

x, y = unique_values(first_frame(df_1))  # noqa: F821 (df_1 is given by Mage)
