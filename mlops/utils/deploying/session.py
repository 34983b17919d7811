"""Terraform on terraform/aws for one step: the commands of terraform.py, run and read back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

from mlops.utils.deploying import terraform as tf
from mlops.utils.deploying.runner import Completed, run_streaming
from mlops.utils.deploying.settings import DeploySettings


class TerraformSession:
    def __init__(self, settings: DeploySettings, env: Optional[Mapping[str, str]] = None):
        self.settings = settings
        self.env = tf.terraform_env(settings, os.environ if env is None else env)

    def run(self, command: Sequence[str], ok_codes: Sequence[int] = (0,), echo: bool = True) -> Completed:
        return run_streaming(command, self.env, ok_codes=ok_codes, echo_stdout=echo)

    def init(self) -> None:
        """Idempotent: providers and backend settings are reused from the data folder."""
        os.makedirs(self.settings.work_dir, exist_ok=True)
        self.run(tf.init_command(self.settings))

    def plan(self, plan_file: Path, variables: Mapping[str, str], targets: Sequence[str] = ()) -> Dict[str, Any]:
        """Plan into ``plan_file`` (replacing the previous one); what it would change."""
        os.makedirs(plan_file.parent, exist_ok=True)
        code = self.run(
            tf.plan_command(self.settings, plan_file, variables, targets), ok_codes=tf.PLAN_OK_CODES
        ).returncode
        summary = tf.plan_summary(self.run(tf.show_plan_command(self.settings, plan_file), echo=False).stdout)
        return {'changes': code == 2, **summary}

    def apply(self, plan_file: Path) -> None:
        self.run(tf.apply_plan_command(self.settings, plan_file))

    def outputs(self) -> Dict[str, Any]:
        return tf.read_outputs(self.run(tf.output_command(self.settings), echo=False).stdout)
