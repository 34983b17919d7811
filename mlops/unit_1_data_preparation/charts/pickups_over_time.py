from mlops.utils.analytics.profiles import first_frame, pickup_times

if 'data_source' not in globals():
    from mage_ai.data_preparation.decorators import data_source


@data_source
def trips(df_1, *args, **kwargs):
    return pickup_times(first_frame(df_1))
