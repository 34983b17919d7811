from mlops.utils.observability.profiles import first_frame, short_trip_distances

x = short_trip_distances(first_frame(df_1), max_distance=20)  # noqa: F821 (df_1 is given by Mage)
