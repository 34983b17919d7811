"""What the tests and the benchmarks share: real servers on 127.0.0.1 (Mage, MLflow, PostgreSQL),
the main job in a temporary root, a registered model, Mage's migrated database template, and the
one way to run a command with a deadline.

It sits beside ``tests/`` and ``bench/`` so both may import it while neither imports the other;
the import contract in pyproject.toml keeps it so (and keeps ``mlops`` from importing any of them).
"""
