from mlops.utils.observability.profiles import first_frame, summary_overview

columns, index, rows = summary_overview(first_frame(df_1))  # noqa: F821 (df_1 is given by Mage)
