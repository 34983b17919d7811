from mlops.utils.observability.dashboard import logged_models, model_families

x = model_families(logged_models())
