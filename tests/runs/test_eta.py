"""The run page's time estimates (studio/services/runs/eta.py): arithmetic over hand-built batches."""
import pytest

from studio.services.runs.eta import BatchClock, estimate, pace


def test_a_running_batch_goes_at_its_own_pace():
    # 10 iterations in 20 s: 2 s each; 90 left.
    e = estimate([BatchClock("running", 10, 20.0)], 100)
    assert e.batches == [pytest.approx(180.0)] and e.overall == pytest.approx(180.0) and e.running == 1


def test_a_batch_that_has_not_iterated_has_no_estimate_yet():
    assert pace(BatchClock("running", 0, 3.0)) is None  # loading the model: seconds but no iteration
    e = estimate([BatchClock("running", 0, 0.0), BatchClock("pending", 0, 0.0)], 100)
    assert e.batches == [None, None] and e.overall is None and e.seconds_per_iteration is None


def test_queued_batches_go_at_the_mean_pace_of_the_batches_that_iterated():
    batches = [BatchClock("completed", 100, 100.0),  # 1 s / iteration
               BatchClock("running", 50, 150.0),     # 3 s / iteration: 50 left → 150 s
               BatchClock("pending", 0, 0.0)]        # mean pace 2 s × 100 → 200 s
    e = estimate(batches, 100)
    assert e.seconds_per_iteration == pytest.approx(2.0)
    assert e.batches == [0.0, pytest.approx(150.0), pytest.approx(200.0)]
    # 350 s of work on the one batch running now.
    assert e.overall == pytest.approx(350.0)


def test_the_work_left_is_spread_over_the_batches_running_now():
    batches = [BatchClock("running", 10, 10.0), BatchClock("running", 10, 10.0),  # 90 s left each
               BatchClock("pending", 0, 0.0), BatchClock("pending", 0, 0.0)]      # 100 s each
    e = estimate(batches, 100)
    assert e.running == 2 and e.overall == pytest.approx((90 + 90 + 100 + 100) / 2)


def test_the_run_cannot_end_before_its_slowest_running_batch():
    batches = [BatchClock("running", 10, 100.0), BatchClock("running", 99, 9.9)]  # 900 s and 0.1 s left
    e = estimate(batches, 100)
    assert e.overall == pytest.approx(900.0)  # not (900 + 0.1) / 2


def test_a_batch_loading_the_model_counts_at_the_mean_pace_in_the_overall_estimate():
    batches = [BatchClock("running", 20, 40.0), BatchClock("running", 0, 0.0)]  # 2 s/it; the other loads
    e = estimate(batches, 100)
    assert e.batches == [pytest.approx(160.0), None]  # the page says "estimating…" for the loading one
    assert e.overall == pytest.approx(max((160 + 200) / 2, 160))


def test_finished_batches_have_nothing_left_and_a_finished_run_ends_now():
    batches = [BatchClock("completed", 100, 50.0), BatchClock("canceled", 30, 10.0), BatchClock("failed", 5, 1.0)]
    e = estimate(batches, 100)
    assert e.batches == [0.0, 0.0, 0.0] and e.overall == 0.0 and e.running == 0


def test_with_nothing_running_the_queue_counts_as_one_worker():
    batches = [BatchClock("completed", 10, 30.0), BatchClock("pending", 0, 0.0), BatchClock("pending", 0, 0.0)]
    e = estimate(batches, 10)
    assert e.running == 0 and e.overall == pytest.approx(60.0)  # 2 × 10 × 3 s, one after the other


def test_a_batch_past_its_iterations_has_none_left_and_unknown_iterations_give_no_estimate():
    assert estimate([BatchClock("running", 120, 60.0)], 100).batches == [0.0]
    e = estimate([BatchClock("running", 10, 10.0)], None)
    assert e.batches == [None] and e.overall is None
    assert estimate([], 100).overall is None


def test_the_initialization_is_not_counted_as_iteration_time():
    """Scoring the initial labels took 60 s of the batch's 80 s; its 10 iterations took 20 s: 2 s each, so 90
    left take 180 s, not the 720 s that 80 s / 10 iterations would say (issue 26: 50 min shown, 32 min real)."""
    batch = BatchClock("running", 10, 80.0, initial_seconds=60.0)
    assert pace(batch) == pytest.approx(2.0)
    assert estimate([batch], 100).overall == pytest.approx(180.0)
    # still initializing: seconds but no iteration, so no pace yet ("estimating…"), however long it takes
    assert pace(BatchClock("running", 0, 600.0, initial_seconds=0.0)) is None
