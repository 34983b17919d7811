"""Files: one per month and version, written whole or not at all, the same bytes for the same
rows, staging that never shows under the output folder and is cleared when stale."""

import os

import pandas as pd
import pytest

from mlops.utils.batch_scoring.output import (
    STAGING,
    publish,
    remove_staging,
    remove_stale_staging,
    scores_file,
    staged_file,
    staging_folder,
    write_parquet,
)
from mlops.utils.errors import ConfigError


def frame(values):
    return pd.DataFrame({'trip_key': [f'green:2024-02:{i}' for i in range(len(values))], 'minutes': values})


def test_one_file_per_colour_month_and_version(tmp_path):
    assert scores_file(tmp_path, 'green', '2024-02', 'nyc-taxi-duration', '7') == (
        tmp_path / 'green' / '2024-02' / 'nyc-taxi-duration-v7.parquet'
    )
    assert scores_file(tmp_path, 'green', '2024-02', 'nyc-taxi-duration', '8') != scores_file(
        tmp_path, 'green', '2024-02', 'nyc-taxi-duration', '7'
    )
    with pytest.raises(ConfigError, match="registered model name '../x' cannot name a file"):
        scores_file(tmp_path, 'green', '2024-02', '../x', '7')


def test_the_same_rows_give_the_same_bytes(tmp_path):
    write_parquet(frame([1.5, 2.25]), tmp_path / 'a.parquet')
    write_parquet(frame([1.5, 2.25]), tmp_path / 'b.parquet')
    assert (tmp_path / 'a.parquet').read_bytes() == (tmp_path / 'b.parquet').read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / 'a.parquet'), frame([1.5, 2.25]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.parquet', 'b.parquet']  # no temporary left


def test_a_failed_write_leaves_the_file_as_it_was_and_no_temporary(tmp_path):
    path = tmp_path / 'm.parquet'
    write_parquet(frame([1.0]), path)
    before = path.read_bytes()
    with pytest.raises(Exception):
        write_parquet(pd.DataFrame({'bad': [object()]}), path)  # Arrow cannot store it
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ['m.parquet']


def test_staged_files_move_into_place_and_the_staging_folder_goes(tmp_path):
    final = scores_file(tmp_path, 'green', '2024-02', 'm', '1')
    staged = staged_file(tmp_path, 'run-1-abc', final)
    assert staged == tmp_path / STAGING / 'run-1-abc' / 'green' / '2024-02' / 'm-v1.parquet'
    write_parquet(frame([3.0]), staged)
    assert not final.exists()  # nothing visible before publishing
    publish(staged, final)
    assert pd.read_parquet(final)['minutes'].tolist() == [3.0] and not staged.exists()
    remove_staging(tmp_path, 'run-1-abc')
    assert not staging_folder(tmp_path, 'run-1-abc').exists()


def test_only_stale_staging_folders_are_removed(tmp_path):
    old, fresh = staging_folder(tmp_path, 'run-1-old'), staging_folder(tmp_path, 'run-2-new')
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / 'x.parquet').write_text('')
    now = fresh.stat().st_mtime
    os.utime(old, (now - 2 * 24 * 3600, now - 2 * 24 * 3600))
    assert remove_stale_staging(tmp_path, now=now) == [old]
    assert not old.exists() and fresh.exists()
    assert remove_stale_staging(tmp_path / 'nothing-here') == []
