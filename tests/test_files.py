"""lab_utils.files: every file the kit, the grader and the benchmarks write is written whole or not at all."""

import os
import stat

import pytest

from lab_utils.files import replacing, write_atomic


def test_a_write_that_fails_half_way_leaves_the_old_file_whole_and_no_temporary_file(tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("student,total\nalice,6\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("student,total\nbo")
        raise RuntimeError("the disk filled up")
    assert target.read_text() == "student,total\nalice,6\n"
    assert os.listdir(tmp_path) == ["grades.csv"]


def test_the_new_file_replaces_the_old_one_whole(tmp_path):
    write_atomic(tmp_path / "a" / "b.json", '{"x": 1}\n')  # the folder is made
    write_atomic(tmp_path / "a" / "b.json", b'{"x": 2}\r\n')
    assert (tmp_path / "a" / "b.json").read_bytes() == b'{"x": 2}\r\n'
    assert os.listdir(tmp_path / "a") == ["b.json"]


def test_text_keeps_its_line_endings(tmp_path):
    write_atomic(tmp_path / "rows.csv", "a,b\r\n1,2\r\n")  # what the csv module writes
    assert (tmp_path / "rows.csv").read_bytes() == b"a,b\r\n1,2\r\n"


def test_the_file_gets_the_umasks_permissions_not_a_temporary_files_private_ones(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "expected.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "expected.json").stat().st_mode) == 0o644


def test_writers_that_go_by_the_suffix_get_it(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    with replacing(tmp_path / "summary.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        fig.savefig(tmp)
    plt.close(fig)
    assert (tmp_path / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
