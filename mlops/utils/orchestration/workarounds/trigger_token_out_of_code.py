"""An API trigger's token never lands in the repository's ``triggers.yaml``.

Upstream: no issue found; Mage 0.9.80's design. When a trigger changes through the API,
``PipelineScheduleResource.update`` (``mage_ai/api/resources/PipelineScheduleResource.py``) writes
it back to ``pipelines/<uuid>/triggers.yaml`` of the active sub-project with its token
(``trigger.token = updated_model.token`` unless ``HIDE_API_TRIGGER_TOKEN``, which also hides
every token from the API), and so does ``PipelineTriggerResource.create`` (the UI's "save
trigger in code"). Seen here: rotating ``predict_api``'s token (``rotate_token``) with
unit_4_triggering active rewrote the tracked file with the new token in clear and its comments
gone. With this, a token is never written there (Mage's database keeps it: syncing a
``triggers.yaml`` without a token keeps the schedule's, ``PipelineSchedule.create_or_update_batch``),
and a change of the token alone leaves the file as it is. Can go when Mage keeps API tokens
out of code (check: ``tests/utils/triggering/test_api_command.py``'s rotation with unit_4_triggering
active leaves ``triggers.yaml`` byte for byte with this module left out of ``install_workarounds``).
"""

from __future__ import annotations

import contextvars
from types import ModuleType
from typing import Any, Callable, Dict

from mlops.utils.orchestration.patching import patch_on_import

# True while a pipeline schedule's update changes nothing but its token.
_TOKEN_ONLY = contextvars.ContextVar('mlops_token_only_update', default=False)
TOKEN_KEYS = frozenset({'rotate_token', 'token'})


def token_only(payload: Dict[str, Any]) -> bool:
    """The update changes the token and nothing a ``triggers.yaml`` holds."""
    return bool(payload) and set(payload) <= TOKEN_KEYS


def _persisted_without_token(original: Callable) -> Callable:
    def add_or_update_trigger_for_pipeline_and_persist(trigger, *args, **kwargs):
        if _TOKEN_ONLY.get():
            return None
        trigger.token = None
        return original(trigger, *args, **kwargs)

    return add_or_update_trigger_for_pipeline_and_persist


def _schedule_updates(module: ModuleType) -> None:
    module.add_or_update_trigger_for_pipeline_and_persist = _persisted_without_token(
        module.add_or_update_trigger_for_pipeline_and_persist
    )
    original = module.PipelineScheduleResource.update

    def update(self, payload, **kwargs):
        marker = _TOKEN_ONLY.set(token_only(payload))
        try:
            return original(self, payload, **kwargs)
        finally:
            _TOKEN_ONLY.reset(marker)

    module.PipelineScheduleResource.update = update


def _triggers_saved_in_code(module: ModuleType) -> None:
    module.add_or_update_trigger_for_pipeline_and_persist = _persisted_without_token(
        module.add_or_update_trigger_for_pipeline_and_persist
    )


def install_trigger_token_out_of_code() -> None:
    """Mage's API writes triggers to ``triggers.yaml`` without their tokens, and not at all when
    only the token changed."""
    patch_on_import('mage_ai.api.resources.PipelineScheduleResource', _schedule_updates)
    patch_on_import('mage_ai.api.resources.PipelineTriggerResource', _triggers_saved_in_code)
