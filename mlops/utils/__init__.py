from mlops.utils import pickle_names

pickle_names.install()  # old module names of the model's classes, for pickles (see the module)
