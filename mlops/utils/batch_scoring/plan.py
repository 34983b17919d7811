"""What one batch-scoring run does, decided before any trip is read: which registered version
scores (the champion unless one is named), which months (given, or the newest at the source
by the new-month rule of retraining), for which taxi colour, into which files; and, for the
daily trigger, which months that version has already scored (skipped).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

from mlops.utils.batch_scoring.output import new_token, scores_file
from mlops.utils.batch_scoring.variables import BatchVariables
from mlops.utils.compute.choice import DASK, PANDAS
from mlops.utils.data_preparation.config import DEFAULT_CONFIGURATION
from mlops.utils.data_preparation.months import month_label, month_range, parse_month
from mlops.utils.data_preparation.new_months import new_months
from mlops.utils.data_preparation.sources import default_source
from mlops.utils.errors import ConfigError
from mlops.utils.tracking.contract import run_facts, unserved_target, version_contract
from mlops.utils.tracking.schema import CHAMPION, champion_version, named_version
from mlops.utils.tracking.trained_range import TrainedRange


@dataclass
class Plan:
    model: str
    model_version: str
    champion: bool  # the version was the champion when planned
    taxi_colour: str
    data_source: str
    output: str  # the output folder
    months: List[str]  # to score, oldest first
    skipped_months: List[str] = field(default_factory=list)  # already scored by this version
    started_at: float = 0.0  # time.time() when planned
    token: str = ''  # the run's staging folder
    mage_run: Optional[str] = None
    compute: str = PANDAS  # where the months are scored: this process (pandas) or Dask workers (dask)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> 'Plan':
        return cls(**dict(values))

    def files(self) -> Dict[str, str]:
        """Each month to score and the file it goes to."""
        return {
            month: str(scores_file(Path(self.output), self.taxi_colour, month, self.model, self.model_version))
            for month in self.months
        }

    def describe(self) -> str:
        who = f'{self.model} v{self.model_version}' + (f' (the {CHAMPION})' if self.champion else '')
        months = ', '.join(self.months) or 'no month'
        text = f'{who} scores {self.taxi_colour} trips of {months} from {self.data_source} into {self.output}'
        if self.compute == DASK:
            text += ' (compute=dask: one task per month on the Dask workers)'
        if self.skipped_months:
            text += f'; already scored by v{self.model_version}, skipped: {", ".join(self.skipped_months)}'
        return text


def registered_version(client: Any, name: str, version: Optional[str]) -> Any:
    """The MLflow ``ModelVersion`` that scores: ``version``, or the champion when None.
    ConfigError for no champion or no such version; RegistryError when the registry fails."""
    if version is None:
        found = champion_version(client, name)
        if found is None:
            raise ConfigError(
                f"model {name!r} has no '{CHAMPION}' version yet: train first (./scripts/run.sh), or give model_version"
            )
        return found
    try:
        return named_version(client, name, version)
    except ConfigError as error:
        raise ConfigError(f'model_version {version}: {error}') from None


def scoring_colour(requested: Optional[str], model_colour: str, who: str) -> str:
    """The colour to score: the one asked for, else the model's, else data preparation's
    default. ConfigError when the model recorded another colour than the one asked for."""
    if requested and model_colour and requested != model_colour:
        raise ConfigError(f'{who} was trained on {model_colour} trips: it does not score taxi_colour={requested}')
    return requested or model_colour or DEFAULT_CONFIGURATION['taxi_colour']


def trained_range(client: Any, name: str, version: Any, colour: str, source: str) -> TrainedRange:
    """The months ``version`` was trained and validated on (its run's ``data.*`` facts), with the
    colour and source this run reads: where the new-month rule starts."""
    facts = run_facts(client, version.run_id)
    if not facts.get('end_month'):
        raise ConfigError(
            f'{name} v{version.version} recorded no training months (data.end_month of its run): '
            'give start_month and end_month'
        )
    return TrainedRange(
        model=name,
        version=str(version.version),
        start_month=facts.get('start_month', facts['end_month']),
        end_month=facts['end_month'],
        taxi_colour=colour,
        data_source=source,
        split_on_feature=facts.get('split_on_feature', ''),
    )


def later_months(trained: TrainedRange, head: Optional[Callable] = None) -> List[str]:
    """The months after ``trained``'s last one at its source (retraining's new-month rule), or
    that last month itself when there are none: ending with the newest month at the source."""
    return new_months(trained, trained.data_source, head=head) or [trained.end_month]


def chosen_months(variables: BatchVariables, newest: Callable[[], List[str]]) -> List[str]:
    """The months to score: ``start_month``..``end_month``; an empty end is the newest month at
    the source, an empty start the end; with ``score_new_months``, every month after the
    model's training months (``newest()``: oldest first, ending with the newest)."""
    if variables.score_new_months:
        return newest()
    end = variables.end_month or newest()[-1]
    start = variables.start_month or end
    if variables.start_month and not variables.end_month and parse_month(start) > parse_month(end):
        raise ConfigError(f'start_month {start} is after the newest month at the source ({end})')
    return [month_label(month) for month in month_range(start, end)]


def make_plan(
    variables: BatchVariables,
    client: Any,
    name: str,
    mage_run: Optional[str] = None,
    head: Optional[Callable] = None,
) -> Plan:
    """The plan; ConfigError (or SourceError, RegistryError) naming what stands in the way."""
    started = time.time()
    version = registered_version(client, name, variables.model_version)
    number = str(version.version)
    who = f'{name} v{number}'
    contract = version_contract(client, version)
    unserved = unserved_target(contract)
    if unserved:
        raise ConfigError(f'{who} does not predict trip minutes: its {unserved}')
    colour = scoring_colour(variables.taxi_colour, contract.taxi_colour, who)
    source = variables.data_source or default_source()
    champion = champion_version(client, name) if variables.model_version else version
    months = chosen_months(
        variables, lambda: later_months(trained_range(client, name, version, colour, source), head=head)
    )
    plan = Plan(
        model=name,
        model_version=number,
        champion=champion is not None and str(champion.version) == number,
        taxi_colour=colour,
        data_source=source,
        output=str(variables.output),
        months=months,
        started_at=started,
        token=new_token(mage_run),
        mage_run=mage_run,
        compute=variables.compute,
    )
    if variables.score_new_months:
        done = [month for month, path in plan.files().items() if Path(path).is_file()]
        plan.months = [month for month in months if month not in done]
        plan.skipped_months = done
    return plan
