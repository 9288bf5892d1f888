from aggregator.serving.backlog import Backlog


def _queue(backlog: Backlog, n: int, at: float = 0.0) -> None:
    for _ in range(n):
        backlog.arrived(at)


def test_an_empty_queue_means_no_wait():
    assert Backlog().wait(5.0) == 0.0


def test_the_wait_is_the_queue_times_the_interval_between_finished_requests():
    backlog = Backlog(interval=0.002)
    _queue(backlog, 10)
    assert backlog.wait(0.0) == 0.02


def test_a_queue_draining_slowly_raises_the_interval():
    backlog = Backlog(interval=0.002)
    _queue(backlog, 50)
    for n in range(40):
        backlog.started()
        backlog.finished(n * 0.01)
    assert 0.002 < backlog.interval < 0.01


def test_time_without_a_queue_is_not_taken_for_slow_requests():
    backlog = Backlog(interval=0.002)
    _queue(backlog, 1)
    backlog.started()
    backlog.finished(0.0)  # nothing queued: the idle time after it must not count
    _queue(backlog, 2, at=60.0)
    backlog.started()
    backlog.finished(60.001)
    backlog.started()
    backlog.finished(60.002)
    assert backlog.interval == 0.002


def test_a_queue_nothing_leaves_waits_as_long_as_its_oldest_request():
    backlog = Backlog(interval=0.002)
    _queue(backlog, 2, at=1.0)
    assert backlog.wait(4.0) == 3.0
