"""Who may reach the deployment and how (issue #30): the load balancer's certificate, the client
networks allowed in, and the consent to plain HTTP open to the whole internet. The deploy
pipeline passes them to Terraform on every run, as the CD workflow does from the repository
variables of the same names, so that a setting made once is kept.

Each comes from the pipeline variable, else the environment variable of the same name in
capitals (the GitHub repository variable the CD workflow reads):

    certificate_arn             CERTIFICATE_ARN             an ACM certificate ARN
    allowed_cidr_blocks         ALLOWED_CIDR_BLOCKS         a JSON list of CIDRs (or a list, or
    mlflow_allowed_cidr_blocks  MLFLOW_ALLOWED_CIDR_BLOCKS  CIDRs separated by commas or blanks)
    allow_public_http           ALLOW_PUBLIC_HTTP           true or false

Unset or blank: not passed, so terraform/aws's default applies. What the values may be, and the
rule that refuses plain HTTP open to the internet unless allow_public_http, are terraform/aws's
(variables.tf, its validations): a plan with a wrong value fails there, naming the variable.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List, Mapping, Optional

from mlops.utils.errors import ConfigError

# The Terraform variables, in the order passed; the environment's names are these in capitals.
CERTIFICATE_ARN = 'certificate_arn'
ALLOWED_CIDR_BLOCKS = 'allowed_cidr_blocks'
MLFLOW_ALLOWED_CIDR_BLOCKS = 'mlflow_allowed_cidr_blocks'
ALLOW_PUBLIC_HTTP = 'allow_public_http'
NAMES = (CERTIFICATE_ARN, ALLOWED_CIDR_BLOCKS, MLFLOW_ALLOWED_CIDR_BLOCKS, ALLOW_PUBLIC_HTTP)
LISTS = (ALLOWED_CIDR_BLOCKS, MLFLOW_ALLOWED_CIDR_BLOCKS)


def env_name(name: str) -> str:
    """The environment (and GitHub repository) variable of a setting."""
    return name.upper()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cidr_list(value: Any, source: str) -> str:
    """A list of CIDRs in Terraform's list syntax (JSON): from a list, a JSON list, or text
    separated by commas or blanks. Whether each is a CIDR, Terraform checks."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(('[', '{')):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise ConfigError(f'{source} is not a valid JSON list of CIDRs ({error}): {text!r}') from None
        else:
            value = [part for part in re.split(r'[\s,]+', text) if part]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{source} must be a list of CIDRs such as ["203.0.113.0/24"], not {value!r}')
    blocks: List[str] = [item.strip() for item in value]
    return json.dumps(blocks)


def flag(value: Any, source: str) -> str:
    """``true`` or ``false`` as Terraform reads a bool."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    text = str(value).strip().lower()
    if text not in ('true', 'false'):
        raise ConfigError(f'{source} must be true or false, not {value!r}')
    return text


def access_variables(variables: Mapping[str, Any], env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The -var values of the settings given (a pipeline variable before the environment's)."""
    env = os.environ if env is None else env
    values: Dict[str, str] = {}
    for name in NAMES:
        value, source = variables.get(name), f'pipeline variable {name}'
        if _blank(value):
            value, source = env.get(env_name(name)), env_name(name)
        if _blank(value):
            continue
        if name in LISTS:
            values[name] = cidr_list(value, source)
        elif name == ALLOW_PUBLIC_HTTP:
            values[name] = flag(value, source)
        else:
            values[name] = str(value).strip()
    return values
