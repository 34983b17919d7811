"""Partitions go to workers by their index alone (round robin in XGBoost's rank order)."""

import pytest

from mlops.utils.models.dask_parts import partitions_per_worker


def test_partitions_go_round_robin_in_rank_order():
    assert partitions_per_worker(5, ['tcp://a', 'tcp://b']) == {'tcp://a': [0, 2, 4], 'tcp://b': [1, 3]}


def test_workers_beyond_the_partitions_get_none():
    assert partitions_per_worker(1, ['tcp://a', 'tcp://b', 'tcp://c']) == {'tcp://a': [0]}


def test_a_cluster_without_workers_is_named():
    with pytest.raises(ValueError, match='no Dask worker is connected'):
        partitions_per_worker(2, [])
