"""siem-ship against limits, rejections and misbehaving SIEMs: dead letters, splitting, malformed
answers, the run's deadline, proxies (issue 14 §1). Every case ends with 0 rows lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from service.jobs import siem_ship
from service.models.audit import AuditLog, SiemCursor, SiemDeadLetter, SiemPending
from service.siem import elastic
from tests.service.jobs.test_siem_ship import API_KEY, INDEX, RECEIVERS, siem_settings
from tests.service.siem_receivers import Hang, ItemStatuses, Reset, Respond, Trickle
from tests.service.siem_sim import DOWN, Sim, backend, pg_only, receiver, sqlite_only

__all__ = ["backend", "receiver"]  # fixtures


def big_changes(n_bytes: int) -> dict:
    return {"blob": "x" * n_bytes}


@sqlite_only
def test_event_too_large_is_dead_lettered_and_never_blocks(
    session_factory, settings, now, backend, receiver, monkeypatch
):
    if backend == "elastic":
        monkeypatch.setattr(elastic, "MAX_BYTES", 200_000)
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    a = sim.add(2)
    huge = sim.add(1, changes=big_changes(1_100_000 if backend != "elastic" else 250_000))
    b = sim.add(2)
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (4, 0, 1, 0)
    assert result.ok is False and result.cursor == b[-1]
    assert sorted(receiver.delivered()) == sorted(a + b)
    with session_factory() as s:
        dl = s.scalars(select(SiemDeadLetter)).one()
        assert (
            (dl.backend, dl.audit_id) == (backend, huge[0])
            and "exceeds" in dl.reason
            and dl.size_bytes > 200_000
        )
    assert sim.run().ok is True  # counted once


@sqlite_only
def test_rejected_event_is_isolated_by_splitting_and_dead_lettered(
    session_factory, settings, now, backend, receiver
):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    good = sim.add(3)
    bad = sim.add(1, entity_name="POISON")
    good += sim.add(3)
    receiver.poison = "POISON"
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (6, 0, 1, 0)
    assert sorted(receiver.delivered()) == sorted(good) and sim.duplicated() == []
    with session_factory() as s:
        assert s.scalars(select(SiemDeadLetter.audit_id)).all() == bad


@sqlite_only
def test_a_rejection_of_everything_is_not_blamed_on_the_events(
    session_factory, settings, now, backend, receiver
):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    sim.add(2, entity_name="POISON")
    receiver.poison = "POISON"
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (0, 2, 0, 2)
    receiver.poison = None
    assert sim.run().shipped == 2 and sim.lost() == []


@sqlite_only
@pytest.mark.parametrize(
    ("backend", "limit", "size"), [("splunk", 1_000_000, 5_000), ("datadog", 5_000_000, 25_000)]
)
def test_requests_respect_the_backends_size_limits(session_factory, settings, now, backend, limit, size):
    with RECEIVERS[backend](API_KEY, allowed_indexes=(INDEX,) if backend == "splunk" else ()) as rec:
        sim = Sim(session_factory, settings, backend, rec, now)
        sim.run()
        sim.add(400, changes=big_changes(size))
        result = sim.run()
        assert (result.shipped, result.errors) == (400, 0)
        assert len(rec.requests) > 1 and all(len(r.body) <= limit for r in rec.requests)
        assert sim.lost() == [] and sim.duplicated() == []


# -- malformed answers and misbehaving SIEMs: never a 500, retried later ------------------------------
def _settle_both_ways(sim: Sim, receiver, misbehaviour, n: int = 3) -> None:
    sim.run()
    sim.add(n)
    receiver.default = misbehaviour
    bad = sim.run()
    assert (bad.ok, bad.shipped, bad.errors, bad.backlog) == (False, 0, n, n)
    receiver.default = None
    good = sim.run()
    assert (good.ok, good.shipped, good.backlog) == (True, n, 0)
    assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
def test_gzip_200_with_a_garbage_body_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Respond(200, b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"}))


@sqlite_only
def test_non_json_200_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Respond(200, b"<html>proxy says ok</html>"))


@sqlite_only
def test_connection_reset_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Reset())


@sqlite_only
@pytest.mark.parametrize("bad_status", [None, "abc", "201", 2.5])
def test_elastic_unreadable_item_status_is_retried_per_item(session_factory, settings, now, bad_status):
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now)
        sim.run()
        ids = sim.add(4)
        es.script.append(ItemStatuses({str(ids[1]): bad_status}))
        result = sim.run()
        assert (result.ok, result.shipped, result.errors) == (True, 4, 0)
        assert es.requests[-1].body.count(b'"create"') == 1 and str(ids[1]).encode() in es.requests[-1].body
        es.default = ItemStatuses({str(i): bad_status for i in range(10_000)})
        more = sim.add(2)
        stuck = sim.run()
        assert (stuck.ok, stuck.shipped, stuck.errors, stuck.backlog) == (False, 0, 2, 2)
        es.default = None
        assert sim.run().shipped == 2 and more[0] in es.delivered() and sim.lost() == []


@sqlite_only
def test_a_trickling_siem_is_cut_at_the_run_deadline(session_factory, settings, now):
    with RECEIVERS["splunk"](API_KEY, allowed_indexes=(INDEX,)) as hec:
        cfg = siem_settings(settings, "splunk", hec.url, budget=30.0, timeout=10.0).model_copy(
            update={"siem_run_budget_seconds": 1.0}
        )
        with session_factory() as s:
            s.add_all(
                AuditLog(tenant_id="t1", action="update", created_at=now - timedelta(seconds=5))
                for _ in range(3)
            )
            s.commit()
        hec.default = Trickle(0.1)  # ~110 bytes: 11 s if read to the end
        with session_factory() as s:
            result = siem_ship.run(s, cfg, now)  # real clock: the deadline is wall time
        assert (result.ok, result.shipped, result.errors, result.backlog) == (False, 0, 3, 3)
        for _ in range(100):
            if hec.trickled:
                break
            import time

            time.sleep(0.05)
        assert hec.trickled and hec.trickled[0] < 100  # hung up on long before the answer was complete


@pg_only
def test_cursor_and_pending_tables_on_postgresql(session_factory, settings, now):
    """The same flow on PostgreSQL: cursor row, fence recorded with a hole, dead letter."""
    with RECEIVERS["datadog"](API_KEY) as dd:
        sim = Sim(session_factory, settings, "datadog", dd, now)
        sim.run()
        ids = sim.add(3)
        with session_factory() as s:
            s.execute(delete(AuditLog).where(AuditLog.id == ids[1]))
            s.commit()
            xmax = int(s.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")).scalar_one())
        sim.ids.remove(ids[1])
        huge = sim.add(1, changes=big_changes(1_100_000))
        result = sim.run()
        assert (result.shipped, result.dead_lettered) == (2, 1)
        with session_factory() as s:
            cur = s.get(SiemCursor, "datadog")
            assert cur is not None and cur.high_id == max(sim.ids)
            hole = s.scalars(select(SiemPending)).one()
            assert (
                (hole.lo, hole.hi) == (ids[1], ids[1])
                and hole.fence_xid is not None
                and hole.fence_xid >= xmax
            )
        assert sim.lost() == huge  # dead-lettered, not sent


@sqlite_only
def test_an_event_that_cannot_be_encoded_is_dead_lettered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    ok = sim.add(2)
    odd = sim.add(1, changes={"counter": 2**70})  # valid JSON in the database, beyond orjson's 64-bit ints
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (2, 0, 1, 0)
    assert sorted(receiver.delivered()) == ok
    with session_factory() as s:
        dl = s.scalars(select(SiemDeadLetter)).one()
        assert dl.audit_id == odd[0] and "cannot be encoded" in dl.reason


@sqlite_only
def test_an_unacknowledged_row_stays_owed_through_a_long_outage(session_factory, settings, now):
    """An Elastic item still 429 when the budget ends is kept pending; it is never given up, however
    long the SIEM stays down after."""
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now, budget=2.0)
        sim.run()
        ids = sim.add(3)
        es.default = ItemStatuses({str(ids[1]): 429})
        first = sim.run()
        assert (first.shipped, first.errors, first.backlog, first.cursor) == (2, 1, 1, ids[-1])
        es.default = DOWN["elastic"]
        for hours in (1, 30):  # past the settle delay and past SIEM_GAP_MAX_SECONDS
            down = sim.run(now + timedelta(hours=hours))
            assert (down.shipped, down.backlog, down.pending_ranges_expired) == (0, 1, 0)
            assert down.oldest_unshipped_age_seconds >= hours * 3600
        es.default = None
        back = sim.run(now + timedelta(hours=31))
        assert (back.shipped, back.late_shipped, back.backlog) == (1, 1, 0)
        assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
def test_the_run_budget_in_seconds_ends_the_run_with_a_backlog(session_factory, settings, now):
    """Each bulk answer takes 0.5 s; a 1.2 s run ships whole batches until its deadline cuts one off."""
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now)
        sim.run()
        sim.add(1500)
        es.default = Hang(0.5, store=True)
        cfg = sim.cfg.model_copy(update={"siem_run_budget_seconds": 1.2, "siem_timeout_seconds": 5.0})
        with session_factory() as s:
            result = siem_ship.run(s, cfg, now)  # real clock: the deadline is wall time
            s.commit()
        assert result.shipped < 1500 and result.shipped % 500 == 0
        assert result.backlog == 1500 - result.shipped and result.stopped == "SIEM_RUN_BUDGET_SECONDS spent"
        es.default = None
        rest = sim.run()
        assert rest.shipped == 1500 - result.shipped and rest.backlog == 0
        assert sim.lost() == [] and len(es.stored) == 1500  # a cut-off batch re-sent: 409s, no duplicates


def test_proxy_from_the_environment(monkeypatch):
    from service.siem.transport import _proxy_for

    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "hec.local")
    assert _proxy_for("https://es.example:9200/_bulk") == "http://proxy.internal:3128"
    assert _proxy_for("https://hec.local:8088") is None
    assert _proxy_for("http://plain.example") is None  # no HTTP_PROXY set


@sqlite_only
def test_ships_through_an_http_proxy_from_the_environment(session_factory, settings, now, monkeypatch):
    """HTTP_PROXY is honoured by the deadline transport: the request goes to the proxy in absolute form."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    seen: list[str] = []

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            seen.append(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hop = {"connection", "proxy-connection", "host", "content-length", "transfer-encoding"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
            with httpx.Client(trust_env=False) as c:
                resp = c.post(self.path, content=body, headers=headers)
            self.send_response(resp.status_code)
            self.send_header("Content-Type", resp.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(resp.content)))
            self.end_headers()
            self.wfile.write(resp.content)

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True).start()
    try:
        for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        with RECEIVERS["splunk"](API_KEY, allowed_indexes=(INDEX,)) as hec:
            sim = Sim(session_factory, settings, "splunk", hec, now)
            sim.run()
            sim.add(3)
            assert sim.run().shipped == 3 and sim.lost() == []
            assert seen and all(p.startswith(hec.url + "/services/collector/event") for p in seen)
    finally:
        proxy.shutdown()
        proxy.server_close()


@sqlite_only
def test_a_pending_row_the_siem_refuses_alone_is_dead_lettered_not_retried_forever(
    session_factory, settings, now
):
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now, budget=2.0)
        sim.run()
        a = sim.add(2)
        x = sim.add(1, entity_name="POISON")
        es.default = ItemStatuses({str(x[0]): 429})
        first = sim.run()
        assert (first.shipped, first.errors, first.backlog) == (2, 1, 1)
        es.default, es.poison = None, "POISON"  # now its document fails to map: a 400 for it alone
        b = sim.add(2)
        second = sim.run()  # the new rows are accepted first, so the refusal is blamed on the row
        assert (second.shipped, second.errors, second.dead_lettered, second.backlog) == (2, 0, 1, 0)
        assert sorted(es.delivered()) == sorted(a + b)
        with session_factory() as s:
            assert s.scalars(select(SiemDeadLetter.audit_id)).all() == x
            assert s.scalars(select(SiemPending)).all() == []
