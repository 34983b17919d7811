from mlops.utils.observability.profiles import first_frame, pickups_per_week

x, y = pickups_per_week(first_frame(df_1))  # noqa: F821 (df_1 is given by Mage)
