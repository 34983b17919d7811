"""A process that used MLflow's SQL store and then forks (the Mage server after preloading the
champion) gives the child a pool of its own: the parent's pooled connections stay the parent's."""

import sys
import textwrap

from testkit.chain import REPO_ROOT
from testkit.commands import run_ok


def test_a_forked_child_gets_new_pools_for_mlflows_engines(tmp_path):
    script = textwrap.dedent("""
        import os, sys
        os.environ['MLOPS_DATA_DIR'] = sys.argv[1]
        from mlflow.tracking import MlflowClient
        from mlops.utils.tracking.mlflow_setup import connect, keep_connections_per_process
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
        connect()
        MlflowClient().search_experiments()
        if len(sys.argv) > 2:
            keep_connections_per_process()
        pools = {uri: id(engine.pool) for uri, engine in SqlAlchemyStore._engine_map.items()}
        assert pools, 'no engine in the parent'
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            same = [uri for uri, engine in SqlAlchemyStore._engine_map.items() if id(engine.pool) == pools[uri]]
            MlflowClient().search_experiments()  # the child still works on its own pool
            os.write(write, str(len(same)).encode())
            os._exit(0)
        os.waitpid(child, 0)
        print('shared pools:', os.read(read, 16).decode())
    """)

    def shared_pools(*hook):
        result = run_ok([sys.executable, '-c', script, str(tmp_path / 'data'), *hook], cwd=REPO_ROOT, timeout=300)
        return int(result.stdout.strip().rsplit(' ', 1)[-1])

    assert shared_pools() >= 1  # without the hook the child inherits the parent's pool
    assert shared_pools('hook') == 0
