"""`GET /metrics` scraped from a real resso process after real traffic, parsed with the official
Prometheus client library's parser (`prometheus_client`), values asserted."""

import json
import pathlib
import re
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from test_sdk import APP_ID, WsClient, sdk, server  # noqa: F401  (fixtures)


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        assert r.status == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    """The sample's value; a counter named without `_total` (Soketi's byte counters) is read under
    the `_total` name the parser gives every counter sample."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        key = (name + "_total", key[1])
    assert key in samples, f"no series {name}{labels}; have {sorted(k for k in samples if k[0] == name)}"
    return samples[key]


def test_traffic_shows_up_in_the_scrape(server, sdk):  # noqa: F811
    port = str(server.port)
    labels = {"app_id": APP_ID, "port": port, "protocol": "pusher"}
    before = scrape(server.port)
    assert value(before, "resso_connected", **labels) == 0
    assert [v for (name, _), v in before.items() if name == "resso_build_info"] == [1]
    client = WsClient(server.port)
    client.recv_event("pusher:connection_established")
    client.ws.send('{"event":"pusher:subscribe","data":{"channel":"metrics-news"}}')
    client.recv_event("pusher_internal:subscription_succeeded")
    sdk.trigger("metrics-news", "tick", {"n": 1})
    client.recv_event("tick")
    during = scrape(server.port)
    assert value(during, "resso_connected", **labels) == 1
    assert value(during, "resso_new_connections_total", **labels) >= 1
    assert value(during, "resso_ws_messages_received_total", **labels) >= 1
    assert value(during, "resso_ws_messages_sent_total", **labels) >= 3
    assert value(during, "resso_socket_transmitted_bytes", **labels) > 0
    app = {"app_id": APP_ID, "port": port}
    assert value(during, "resso_subscriptions_total", channel_type="public", **app) >= 1
    assert value(during, "resso_http_calls_received_total", **app) >= 1
    assert value(during, "resso_http_received_bytes", **app) > 0
    assert value(during, "process_resident_memory_bytes") > 0
    assert value(during, "resso_cluster_nodes", port=port) == 1
    for direction in ("sent", "received"):
        assert value(during, "resso_cluster_messages_total", direction=direction, port=port) == 0
    assert value(during, "resso_cluster_dropped_total", port=port) == 0
    for event_type in ("channel_occupied", "member_added", "client_event"):
        hooks = {"event_type": event_type, "port": port}
        assert value(during, "resso_webhooks_sent_total", result="delivered", **hooks) == 0
        assert value(during, "resso_webhooks_sent_total", result="failed", **hooks) == 0
    assert value(during, "resso_webhooks_dropped_total", port=port) == 0
    assert value(during, "resso_webhook_queue_depth", port=port) == 0
    assert value(during, "resso_webhook_delivery_seconds_count", port=port) == 0
    assert value(during, "resso_broker_reconnections_total", port=port, link="cluster") == 0
    assert value(during, "resso_fanout_seconds_count", **app) >= 1
    assert value(during, "resso_channels", channel_type="public", **app) == 1
    assert value(during, "resso_channels", channel_type="presence", **app) == 0
    assert value(during, "resso_presence_members", **app) == 0
    for limiter in ("client_events", "http_api"):
        assert value(during, "resso_rate_limited_total", limiter=limiter, **app) == 0
    for result in ("delivered", "rejected"):
        assert value(during, "resso_ingest_messages_total", result=result, **app) == 0
    client.ws.close()
    deadline = time.monotonic() + 5
    while True:
        after = scrape(server.port)
        if value(after, "resso_connected", **labels) == 0:
            break
        assert time.monotonic() < deadline, "the closed connection is still counted"
        time.sleep(0.05)
    assert value(after, "resso_new_disconnections_total", **labels) >= 1
    assert value(after, "resso_channels", channel_type="public", **app) == 0
    assert value(after, "resso_connection_closes_total", code="1000", **app) >= 1


def test_every_metric_of_the_grafana_dashboard_is_exported(server):  # noqa: F811
    dashboard = pathlib.Path(__file__).resolve().parents[3] / "docs" / "grafana" / "resso.json"
    exprs = [t["expr"] for p in json.loads(dashboard.read_text())["panels"] for t in p["targets"]]
    names = {n for e in exprs for n in re.findall(r"\b((?:resso|process)_[a-z_]+)", e)}
    exported = {name for name, _ in scrape(server.port)} | {
        name.removesuffix("_total") for name, _ in scrape(server.port)
    }
    assert names and names <= exported, f"not exported: {sorted(names - exported)}"
