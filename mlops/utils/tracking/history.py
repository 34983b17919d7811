"""The champion alias's history, kept as tags of the registered model (MLflow keeps none):
one ``champion_history.<sequence>`` tag per move, a JSON object saying from which version to
which, how (promotion, forced promotion, rollback), who, when (UTC) and why. Promotions and
rollbacks append to it under the registry lock, right after moving the alias; rollback reads
it to find the previous good champion."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, List, Optional, Set

from mlops.utils.tracking.schema import CHAMPION_HISTORY_PREFIX

PROMOTION = 'promotion'
FORCED_PROMOTION = 'forced promotion'
ROLLBACK = 'rollback'
MAX_WHY_CHARS = 1000  # a reason is a sentence, not a log


@dataclass(frozen=True)
class AliasMove:
    sequence: int
    from_version: Optional[str]  # None: there was no champion
    to_version: str
    kind: str  # PROMOTION, FORCED_PROMOTION or ROLLBACK
    who: str
    when: str  # UTC, ISO 8601
    why: str


def current_user() -> str:
    """Who runs this process, for the history; containers without a passwd entry have no name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return 'unknown'


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec='seconds')


def alias_history(client: Any, name: str) -> List[AliasMove]:
    """The moves recorded for ``name``, oldest first (a tag that is not one is skipped)."""
    tags = client.get_registered_model(name).tags or {}
    moves = []
    for key, value in tags.items():
        if not key.startswith(CHAMPION_HISTORY_PREFIX):
            continue
        try:
            record = json.loads(value)
            moves.append(AliasMove(sequence=int(key[len(CHAMPION_HISTORY_PREFIX) :]), **record))
        except (ValueError, TypeError):
            continue
    return sorted(moves, key=lambda move: move.sequence)


def record_move(
    client: Any, name: str, from_version: Optional[str], to_version: str, kind: str, who: str, why: str
) -> AliasMove:
    """Append one move to the history (the caller holds the registry lock)."""
    moves = alias_history(client, name)
    move = AliasMove(
        sequence=(moves[-1].sequence + 1) if moves else 1,
        from_version=str(from_version) if from_version is not None else None,
        to_version=str(to_version),
        kind=kind,
        who=who,
        when=utc_now(),
        why=why[:MAX_WHY_CHARS],
    )
    record = {k: v for k, v in asdict(move).items() if k != 'sequence'}
    client.set_registered_model_tag(name, f'{CHAMPION_HISTORY_PREFIX}{move.sequence:06d}', json.dumps(record))
    return move


def rolled_back_from(moves: Iterable[AliasMove]) -> Set[str]:
    """Versions the alias was rolled back away from and not made champion again since."""
    bad: Set[str] = set()
    for move in moves:
        if move.kind == ROLLBACK and move.from_version:
            bad.add(move.from_version)
        bad.discard(move.to_version)
    return bad


def previous_good(moves: List[AliasMove], current: Optional[str], promoted: Iterable[str] = ()) -> Optional[str]:
    """The most recent champion before ``current`` that was not rolled back away from: from the
    history, newest first, then (for champions older than the history) ``promoted``, versions
    whose role says they were promoted, newest first. None when there is none."""
    bad = rolled_back_from(moves)
    candidates = [move.to_version for move in reversed(moves)]
    if moves and moves[0].from_version:
        candidates.append(moves[0].from_version)  # the champion when the history began
    candidates += sorted(promoted, key=int, reverse=True)
    for version in candidates:
        if version != current and version not in bad:
            return version
    return None
