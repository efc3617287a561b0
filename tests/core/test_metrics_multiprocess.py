"""gunicorn's recycled workers: their counts are folded into an archive, never lost."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from mall.core import metrics


def write_counter(directory, pid: int, value: float) -> None:
    values = MmapedDict(str(directory / f"counter_{pid}.db"))
    key = mmap_key("mall_test_total", "mall_test_total", ["view"], ["health"], "A test counter.")
    values.write_value(key, value, 0.0)
    values.close()


def scraped_total(directory) -> float:
    registry = CollectorRegistry()
    metrics._WorkerFiles(registry, path=str(directory))
    return registry.get_sample_value("mall_test_total", {"view": "health"})


def test_a_dead_workers_counts_move_into_the_archive_and_its_file_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    write_counter(tmp_path, 101, 3)
    write_counter(tmp_path, 102, 4)
    write_counter(tmp_path, 103, 5)  # still alive

    metrics.multiprocess_archive_dead_worker(101)
    metrics.multiprocess_archive_dead_worker(102)

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "counter_103.db",
        "counter_archive.db",
    ]
    assert scraped_total(tmp_path) == 12


def test_starting_gunicorn_forgets_the_files_of_a_previous_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    write_counter(tmp_path, 101, 3)
    metrics.multiprocess_archive_dead_worker(101)

    metrics.multiprocess_dir_reset()

    assert list(tmp_path.iterdir()) == []
