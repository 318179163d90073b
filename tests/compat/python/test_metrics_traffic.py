"""Every kind of traffic the metrics count, made for real against one resso process, then scraped and
parsed with `prometheus_client`'s parser: Pusher and Socket.IO connections and subscriptions, an API
publish, a client event, a slow consumer closed with 4100, a delivered webhook, an event from
Laravel's `redis` broadcaster (a real redis-server), and an ingestion whose Redis is down."""

import hashlib
import hmac
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pusher
import pytest
import websocket

import test_sdk
from test_metrics import scrape, value

APP_ID, KEY, SECRET = "4242", "busy-key", "busy-secret"
WAIT = 5.0


def until(check, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def closed_port():
    """A loopback port nothing listens on (for the ingestion whose Redis is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A throwaway redis-server on a port below the ephemeral range, re-picked if taken."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="resso-metrics-redis-")
        for _ in range(10):
            self.port = random.randint(20000, 30000)
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", self.dir],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for line in self.proc.stdout:
                if "Ready to accept connections" in line:
                    threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                    return
            self.proc.wait()
        raise RuntimeError("redis-server did not start")

    def publish(self, channel, message):
        subprocess.run(["redis-cli", "-p", str(self.port), "PUBLISH", channel, message], check=True,
                       capture_output=True)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Sink(BaseHTTPRequestHandler):
    """A webhook endpoint answering 200 to every POST, keeping the bodies."""

    bodies = []

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        Sink.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.fixture(scope="module")
def busy():
    redis = Redis()
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    config = f"""
[server]
outbound_queue_bytes = 65536

[server.webhooks]
batch_window_ms = 0

[[apps]]
id = "{APP_ID}"
key = "{KEY}"
secret = "{SECRET}"
client_events = true

[apps.socketio]
enabled = true

[apps.ingest]
url = "redis://127.0.0.1:{redis.port}/0"
prefix = "laravel_database_"

[[apps.webhooks]]
url = "http://127.0.0.1:{sink.server_port}/hooks"
event_types = ["channel_occupied"]

[[apps]]
id = "4343"
key = "offline-key"
secret = "offline-secret"

[apps.ingest]
url = "redis://127.0.0.1:{closed_port()}/0"
"""
    old = test_sdk.CONFIG
    test_sdk.CONFIG = config
    try:
        server = test_sdk.Server()
    finally:
        test_sdk.CONFIG = old
    yield server, redis
    server.stop()
    sink.shutdown()
    redis.stop()


def pusher_client(port):
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7", timeout=WAIT)
    socket_id = json.loads(json.loads(ws.recv())["data"])["socket_id"]
    return ws, socket_id


def recv_event(ws, event):
    while True:
        msg = json.loads(ws.recv())
        if msg.get("event") == event:
            return msg


def subscribe(ws, socket_id, channel):
    auth = ""
    if channel.startswith("private-"):
        sig = hmac.new(SECRET.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256).hexdigest()
        auth = f"{KEY}:{sig}"
    ws.send(json.dumps({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}}))
    recv_event(ws, "pusher_internal:subscription_succeeded")


def socketio_client(port, channel):
    """socket.io protocol 5 over a bare WebSocket: open, CONNECT, and Echo's `subscribe`."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=WAIT)
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40{")
    ws.send("42" + json.dumps(["subscribe", {"channel": channel}]))
    return ws


def slow_consumer(port, api):
    """A subscriber that never reads, fed until the server closes it with 4100."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7", timeout=WAIT,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
    )
    socket_id = json.loads(json.loads(ws.recv())["data"])["socket_id"]
    subscribe(ws, socket_id, "firehose")
    blob = "x" * 9000
    for _ in range(400):
        api.trigger_batch([{"channel": "firehose", "name": "blob", "data": blob}] * 10)
        labels = (("app_id", APP_ID), ("code", "4100"), ("port", str(port)))
        if scrape(port).get(("resso_connection_closes_total", labels), 0) >= 1:
            return ws
    raise AssertionError("the slow consumer was never closed with 4100")


def test_every_kind_of_traffic_is_counted(busy):
    server, redis = busy
    port, p = server.port, str(server.port)
    api = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, host="127.0.0.1", port=port, ssl=False, timeout=5)
    alice, alice_id = pusher_client(port)
    bob, bob_id = pusher_client(port)
    for ws, sid in ((alice, alice_id), (bob, bob_id)):
        subscribe(ws, sid, "news")
        subscribe(ws, sid, "private-chat")
    sio = socketio_client(port, "news")
    until(lambda: value(scrape(port), "resso_subscriptions_total", app_id=APP_ID, port=p,
                        channel_type="public") >= 3, "three subscriptions to news")

    api.trigger("news", "posted", {"n": 1})
    recv_event(alice, "posted")
    packet = sio.recv()
    assert packet.startswith("42"), packet
    assert json.loads(packet[2:])[0:2] == ["posted", "news"]
    alice.send(json.dumps({"event": "client-typing", "channel": "private-chat", "data": {}}))
    recv_event(bob, "client-typing")
    redis.publish("laravel_database_news", json.dumps({"event": "Shipped", "data": {"id": 7}, "socket": None}))
    recv_event(bob, "Shipped")
    slow_consumer(port, api)

    app = {"app_id": APP_ID, "port": p}
    pusher_labels, sio_labels = {**app, "protocol": "pusher"}, {**app, "protocol": "socketio"}
    until(lambda: value(scrape(port), "resso_webhook_delivery_seconds_count", port=p) >= 1, "a webhook request")
    s = scrape(port)
    assert value(s, "resso_connected", **sio_labels) == 1
    assert value(s, "resso_connected", **pusher_labels) == 2
    assert value(s, "resso_ws_messages_sent_total", **sio_labels) >= 2
    assert value(s, "resso_ws_messages_received_total", **sio_labels) >= 2
    assert value(s, "resso_subscriptions_total", channel_type="private", **app) == 2
    assert value(s, "resso_client_events_total", **app) == 1
    assert value(s, "resso_connection_closes_total", code="4100", **app) == 1
    assert value(s, "resso_ingest_messages_total", result="delivered", **app) == 1
    assert value(s, "resso_webhooks_sent_total", port=p, event_type="channel_occupied", result="delivered") >= 2
    assert {e["channel"] for b in Sink.bodies for e in b["events"]} >= {"news", "private-chat"}
    until(lambda: value(scrape(port), "resso_webhook_queue_depth", port=p) == 0, "an empty webhook queue")
    fanouts = value(s, "resso_fanout_seconds_count", **app)
    assert fanouts >= 3, "the API event, the client event and the Redis event were timed"
    assert value(s, "resso_fanout_seconds_bucket", le="+Inf", **app) == fanouts
    assert value(s, "resso_fanout_seconds_sum", **app) > 0
    assert value(s, "resso_channel_subscriptions_total", **app) == value(s, "resso_subscriptions_total", channel_type="public", **app) + 2
    assert value(s, "resso_active_channels", **app) == 2, "news and private-chat (firehose emptied)"
    assert value(s, "resso_rate_limit_triggered_total", **app) == 0
    assert value(s, "resso_broker_reconnections_total", port=p, link="cluster") == 0
    assert value(s, "resso_broker_reconnections_total", port=p, link="ingest", app_id=APP_ID) == 0
    until(lambda: value(scrape(port), "resso_broker_reconnections_total", port=p, link="ingest",
                        app_id="4343") >= 1, "the offline app's ingestion retrying")
    for ws in (alice, bob, sio):
        ws.close()
