from typing import Any, Dict

from mlops.utils.deploying.steps import ci_cd as cd_requirements

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def ci_cd(*args, **kwargs) -> Dict[str, Any]:
    """The repository secrets and variables the CD workflow (.github/workflows/cd.yml) uses, read
    from the workflow itself. Touches no AWS."""
    return cd_requirements(kwargs)
