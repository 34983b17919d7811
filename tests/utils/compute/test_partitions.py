"""The references the Dask path's blocks hand on, on files written here (no cluster)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction import DictVectorizer

from mlops.utils.compute.partitions import (
    ALL,
    TRAIN,
    TRAINING_ROW,
    VALIDATION,
    PartitionedMatrix,
    PartitionedTarget,
    Rows,
    from_output,
    gathered,
    is_reference,
    referenced,
    to_output,
    write_parquet,
)
from mlops.utils.errors import DataError

KEEP = 4  # preparations kept: partitions.KEEP_PREPARATIONS, restated


@pytest.fixture
def months(tmp_path):
    frames = [
        pd.DataFrame(
            {
                'PULocationID': [1, 2, 3],
                'DOLocationID': [4, 5, 6],
                'PU_DO': ['1_4', '2_5', '3_6'],
                'trip_distance': [1.5, 0.0, 2.5],
                'duration': [10.0, 20.0, 30.0],
                TRAINING_ROW: [True, False, True],
            }
        ),
        pd.DataFrame(
            {
                'PULocationID': [7],
                'DOLocationID': [8],
                'PU_DO': ['7_8'],
                'trip_distance': [4.0],
                'duration': [40.0],
                TRAINING_ROW: [False],
            }
        ),
    ]
    paths = [tmp_path / f'{i}.parquet' for i in range(2)]
    for frame, path in zip(frames, paths):
        write_parquet(frame, path)
    return tuple(map(str, paths)), pd.concat(frames, ignore_index=True)


def test_a_selection_reads_its_rows_in_file_order(months):
    paths, whole = months
    for selection, keep in ((ALL, [True] * 4), (TRAIN, whole[TRAINING_ROW]), (VALIDATION, ~whole[TRAINING_ROW])):
        rows = Rows(paths, selection, tuple(int(k.sum()) for k in np.split(np.asarray(keep), [3])))
        expected = whole[np.asarray(keep)].drop(columns=[TRAINING_ROW]).reset_index(drop=True)
        pd.testing.assert_frame_equal(gathered(rows), expected)


def test_the_matrix_of_a_reference_is_what_dictvectorizer_makes(months):
    paths, whole = months
    rows = Rows(paths, TRAIN, (2, 0))
    records = whole[whole[TRAINING_ROW]][['PU_DO', 'trip_distance']].to_dict(orient='records')
    dv = DictVectorizer().fit(records)
    matrix = PartitionedMatrix(rows, tuple(dv.feature_names_))
    assert matrix.shape == (2, len(dv.feature_names_))
    assert (gathered(matrix) != dv.transform(records)).nnz == 0


def test_a_reference_survives_a_block_output_round_trip(months):
    paths, _ = months
    rows = Rows(paths, VALIDATION, (1, 1))
    for reference in (
        rows,
        PartitionedMatrix(rows, ('PU_DO=2_5', 'trip_distance')),
        PartitionedTarget(rows, 'duration', 20.0, 40.0),
    ):
        output = to_output(reference)
        assert is_reference(output) and from_output(output) == reference == referenced(output)
    assert referenced({'a': 1}) == {'a': 1} and not is_reference({'partitioned': 'other'})
    assert gathered(PartitionedTarget(rows, 'duration', 20.0, 40.0)).tolist() == [20.0, 40.0]


def test_a_file_that_changed_or_went_is_named(months, tmp_path):
    paths, _ = months
    with pytest.raises(DataError, match=r'has 2 train rows, not 3'):
        Rows(paths, TRAIN, (3, 0)).read(0)
    with pytest.raises(DataError, match=r'cannot be read'):
        Rows((str(tmp_path / 'gone.parquet'),), ALL, (1,)).read(0)


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / 'month.parquet'
    with pytest.raises(Exception):
        write_parquet(pd.DataFrame({'bad': [object()]}), target)  # pyarrow cannot write it
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one


DAY = 86400


def aged(path, seconds_old: float):
    """``path`` last modified ``seconds_old`` ago."""
    import os
    import time

    when = time.time() - seconds_old
    os.utime(path, (when, when))
    return path


def test_old_preparations_go_and_a_running_one_stays(tmp_path, monkeypatch):
    from mlops.utils.compute import partitions

    monkeypatch.setenv('MLOPS_PARTITIONS_DIR', str(tmp_path))
    made = []
    for age in range(6):  # six finished preparations, the oldest first
        folder = partitions.new_preparation_folder('figures.json')
        (folder / 'figures.json').write_text('[]')
        made.append(aged(folder, 10 * DAY - age))
    running = partitions.new_preparation_folder('figures.json')  # no manifest yet, and young
    abandoned = aged(partitions.new_preparation_folder('figures.json'), DAY + 60)  # unfinished for over a day
    newest = partitions.new_preparation_folder('figures.json')
    assert sorted(tmp_path.iterdir()) == sorted([*made[-3:], running, newest])
    assert abandoned not in made


def test_clean_up_never_touches_a_folder_it_did_not_make(tmp_path, monkeypatch):
    """MLOPS_PARTITIONS_DIR may be a folder others share: folders without our marker, or with the
    marker of another state folder, old and finished-looking or not, and files, stay as they are;
    so does what a link points to."""
    from mlops.utils.compute import partitions

    monkeypatch.setenv('MLOPS_PARTITIONS_DIR', str(tmp_path / 'shared'))
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path / 'state'))
    shared = tmp_path / 'shared'
    shared.mkdir()
    foreign = {
        'someone-elses': {'notes.txt': 'keep me'},
        'looks-finished': {'figures.json': '[]'},
        'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6': {'01.parquet': 'not ours'},  # named as ours are
        'other-platform': {
            partitions.MARKER: f'mlops preparation of {tmp_path / "other-state"}\n',
            'figures.json': '[]',
        },
        'empty-marker': {partitions.MARKER: ''},
    }
    for name, files in foreign.items():
        (shared / name).mkdir()
        for file, text in files.items():
            (shared / name / file).write_text(text)
        aged(shared / name, 30 * DAY)
    (shared / 'README').write_text('a file')
    aged(shared / 'README', 30 * DAY)
    outside = tmp_path / 'outside'
    outside.mkdir()
    monkeypatch.setenv('MLOPS_PARTITIONS_DIR', str(outside))
    linked_target = aged(partitions.new_preparation_folder('figures.json'), 30 * DAY)  # ours, elsewhere
    monkeypatch.setenv('MLOPS_PARTITIONS_DIR', str(shared))
    (shared / 'link').symlink_to(linked_target)

    before = {p.relative_to(shared): p.read_text() for p in shared.rglob('*') if p.is_file() and not p.is_symlink()}
    for _ in range(KEEP + 2):  # enough preparations of ours to clean up after
        (partitions.new_preparation_folder('figures.json') / 'figures.json').write_text('[]')
    after = {p.relative_to(shared): p.read_text() for p in shared.rglob('*') if p.is_file() and not p.is_symlink()}
    assert {k: v for k, v in after.items() if k in before} == before
    assert (shared / 'link').resolve() == linked_target and linked_target.exists()
    ours = [
        f for f in shared.iterdir() if (f / partitions.MARKER).is_file() and f.name not in foreign and f.name != 'link'
    ]
    assert len(ours) == KEEP


def test_the_marker_is_written_when_the_folder_is_made(tmp_path, monkeypatch):
    from mlops.utils.compute import partitions

    monkeypatch.setenv('MLOPS_PARTITIONS_DIR', str(tmp_path / 'parts'))
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path / 'state'))
    folder = partitions.new_preparation_folder('figures.json')
    assert [p.name for p in folder.iterdir()] == ['.mlops-preparation']
    assert (folder / '.mlops-preparation').read_text() == f'mlops preparation of {tmp_path / "state"}\n'
    assert partitions.ours(folder)
    monkeypatch.setenv('MLOPS_DATA_DIR', str(tmp_path / 'another-state'))
    assert not partitions.ours(folder)  # another platform's state folder does not claim it
