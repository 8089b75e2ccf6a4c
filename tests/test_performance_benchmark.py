"""The performance benchmark's arithmetic: medians where a run may never reach its target, and per-pair speed-ups.
(The benchmark itself times real training; no timing is asserted here.)"""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "performance", Path(__file__).resolve().parents[1] / "benchmarks" / "performance.py")
performance = importlib.util.module_from_spec(spec)
spec.loader.exec_module(performance)


def run(way, to_target, seconds=10.0, accuracy=0.98, model="lenet"):
    return {"model": model, "way": way, "seconds_to_target": to_target, "train_seconds": seconds,
            "images_per_second": 5000 / seconds, "peak_mb": 900.0, "final_accuracy": accuracy}


def test_median_counts_never_reached_as_slower_than_any_time():
    assert performance.median_or_none([3.0, None, 1.0]) == 3.0
    assert performance.median_or_none([None, None, 1.0]) is None
    assert performance.median_or_none([1.0, 2.0, 4.0, None]) == 3.0


def test_speed_up_is_the_median_of_the_back_to_back_pairs():
    runs = [run("kit", 2.0), run("baseline", 5.0), run("kit", 4.0), run("baseline", 6.0),
            run("kit", 3.0), run("baseline", 12.0)]
    row = performance.summarise(runs)["lenet"]
    assert row["speedups_to_target"] == [2.5, 1.5, 4.0]
    assert row["speedup_to_target"] == 2.5
    assert row["kit"]["seconds_to_target"] == 3.0 and row["baseline"]["seconds_to_target"] == 6.0


def test_a_baseline_that_never_reaches_the_target_is_reported_as_never_not_as_a_number():
    runs = [run("kit", 2.0), run("baseline", None), run("kit", 2.0), run("baseline", None),
            run("kit", 2.0), run("baseline", 7.0)]
    row = performance.summarise(runs)["lenet"]
    assert row["speedups_to_target"] == [None, None, 3.5]
    assert row["speedup_to_target"] is None and row["baseline"]["seconds_to_target"] is None
    assert row["baseline"]["reached"] == 1


def test_a_kit_run_that_never_reaches_the_target_counts_as_no_speed_up():
    runs = [run("kit", None), run("baseline", 5.0)]
    assert performance.summarise(runs)["lenet"]["speedup_to_target"] == 0.0
