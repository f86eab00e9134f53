from projector.jobs import StopFlags


def test_stop_requests_are_seen_by_another_handle(tmp_path):
    web, job = StopFlags(tmp_path), StopFlags(tmp_path)
    assert not job.requested("a")
    web.request("a")
    assert job.requested("a") and not job.requested("b")
