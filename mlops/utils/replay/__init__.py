"""The replay: 2023-2024 made to arrive month by month at a source the one server reads, through
its real triggers (monitoring, batch scoring, the new-month sensor and retraining), and the soak
measured on the way (server memory, stuck runs, database and log growth, catch-up runs after a
restart). ``./scripts/replay.sh`` -> ``python -m mlops.utils.replay``; see docs/replay-and-soak.md.

One job per module: ``budgets`` (the quick training budgets and the retraining cadence),
``arguments`` (the command line, the months), ``state`` (the resumable state file),
``staged_source`` (where months arrive), ``server`` (starting, adopting, stopping and measuring
the Mage server), ``driving`` (one month through the triggers), ``soak`` (the measurements),
``report`` (what is printed and saved).
"""
