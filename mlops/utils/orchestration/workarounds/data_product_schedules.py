"""A global data product's runs belong to the sub-project that produces it.

Mage 0.9.80 loses a product's sub-project twice. ``GlobalDataProduct.load_all`` reads each
sub-project's ``global_data_products.yaml`` but leaves ``repo_path`` empty, so the product's
``pipeline`` is looked up in whichever sub-project is active. And ``orchestration/triggers/global_data_product.fetch_or_create_pipeline_schedule``
creates the product's schedule without a ``repo_path``. On a platform, a run's pipeline is
found through its schedule's ``repo_path`` (``PipelineRun.pipeline_project_platform``); with
none, Mage takes the first sub-project holding a pipeline of that name. ``unit_2_training``'s
``training_set`` is produced by its own pipeline, so on one database a server whose UI showed
another sub-project ran (and read the outputs of) the wrong pipeline: retraining found an empty
training set. This gives each product the folder of the file it came from, and its schedule the
product's ``repo_path``. No upstream issue found; it can go when Mage sets both (check: a
product's ``repo_path`` after ``GlobalDataProduct.get``, and the ``repo_path`` of the schedule
named ``Global data product ...`` in the database).
"""

from __future__ import annotations

from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


def _schedules_in_the_products_project(module: ModuleType) -> None:
    original = module.fetch_or_create_pipeline_schedule

    def fetch_or_create_pipeline_schedule(global_data_product):
        schedule = original(global_data_product)
        repo_path = getattr(global_data_product, 'repo_path', None)
        if schedule is not None and repo_path and schedule.repo_path != repo_path:
            schedule.update(repo_path=repo_path)
        return schedule

    module.fetch_or_create_pipeline_schedule = fetch_or_create_pipeline_schedule


def _products_know_their_project(module: ModuleType) -> None:
    product_class = module.GlobalDataProduct
    original = product_class.load_all.__func__

    def load_all(cls, repo_path=None):  # the folders Mage's own load_all reads, one at a time
        if repo_path:
            paths = [repo_path]
        elif module.project_platform_activated():
            paths = module.full_paths_for_all_projects()
        else:
            paths = [module.get_repo_path()]
        products = []
        for path in paths:
            for product in original(cls, path):
                product.repo_path = product.repo_path or path
                products.append(product)
        return products

    product_class.load_all = classmethod(load_all)


def install_data_product_schedules() -> None:
    patch_on_import('mage_ai.data_preparation.models.global_data_product', _products_know_their_project)
    patch_on_import('mage_ai.orchestration.triggers.global_data_product', _schedules_in_the_products_project)
