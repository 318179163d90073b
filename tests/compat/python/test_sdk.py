"""The PyPI `pusher` server SDK (and a raw WebSocket client) against a real resso process.

The Python SDK signs `body_md5` (of the empty body) on GET requests too; the server must accept it.
"""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pusher
import pytest
import websocket  # websocket-client
from pusher.errors import PusherBadAuth

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
RESSO_BIN = os.environ.get("RESSO_BIN") or str(REPO_ROOT / "target" / "debug" / "resso")
WAIT = 5.0

APP_ID, APP_KEY, APP_SECRET = "123", "py-key", "py-secret"

CONFIG = f"""
[server]
activity_timeout = 120

[[apps]]
id = "app-id"
key = "app-key"
secret = "app-secret"
client_events = true

[[apps]]
id = "{APP_ID}"
key = "{APP_KEY}"
secret = "{APP_SECRET}"
"""


class Server:
    """`resso --config FILE --port 0`, killed on teardown (and with us, via setpriv --pdeathsig)."""

    def __init__(self):
        if not os.path.exists(RESSO_BIN):
            raise RuntimeError(
                f"resso binary not found at {RESSO_BIN}; run `cargo build -p resso-server --bin resso` or set RESSO_BIN"
            )
        self.dir = tempfile.mkdtemp(prefix="resso-compat-py-")
        config = os.path.join(self.dir, "resso.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        env = {k: v for k, v in os.environ.items() if not re.match(r"^(RESSO_|REVERB_)", k) or k == "RESSO_LOG"}
        env.setdefault("RESSO_LOG", "warn")
        cmd = [RESSO_BIN, "--config", config, "--port", "0"]
        if shutil.which("setpriv"):
            cmd = ["setpriv", "--pdeathsig", "KILL", "--"] + cmd
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        found = {}

        def reader():
            for line in self.proc.stdout:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m and "port" not in found:
                    found["port"] = int(m.group(1))
            # keep draining until EOF so the pipe never fills

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "port" in found:
                return found["port"]
            if self.proc.poll() is not None:
                raise RuntimeError(f"resso exited early with {self.proc.returncode}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("resso did not print its listening line within 10 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def sdk(server):
    return pusher.Pusher(
        app_id=APP_ID, key=APP_KEY, secret=APP_SECRET, host="127.0.0.1", port=server.port, ssl=False, timeout=5
    )


class WsClient:
    """A bare Pusher protocol client on websocket-client, for byte-level checks."""

    def __init__(self, port, key=APP_KEY):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/app/{key}?protocol=7&client=python-compat&version=1.0&flash=false", timeout=WAIT
        )

    def recv_frame(self, timeout=WAIT):
        """Next text frame as (raw_text, parsed_json); fails after `timeout`."""
        self.ws.settimeout(timeout)
        raw = self.ws.recv()
        assert isinstance(raw, str), f"expected a text frame, got {raw!r}"
        return raw, json.loads(raw)

    def recv_event(self, event, timeout=WAIT):
        """Skips frames until one with `event` arrives (pings, other events)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event!r} within {timeout} s; saw {seen}")
            raw, msg = self.recv_frame(left)
            if msg.get("event") == event:
                return raw, msg
            seen.append(raw)

    def send(self, event, data, channel=None):
        frame = {"event": event, "data": data}
        if channel is not None:
            frame["channel"] = channel
        self.ws.send(json.dumps(frame))

    def handshake(self):
        raw, msg = self.recv_frame()
        assert msg["event"] == "pusher:connection_established", raw
        assert isinstance(msg["data"], str), f"connection_established data must be a JSON string: {raw}"
        data = json.loads(msg["data"])
        assert re.match(r"^\d+\.\d+$", data["socket_id"]), raw
        assert data["activity_timeout"] == 120, raw
        return data["socket_id"]

    def subscribe(self, channel, **extra):
        self.send("pusher:subscribe", {"channel": channel, "auth": "", **extra})
        raw, msg = self.recv_event("pusher_internal:subscription_succeeded")
        assert msg["channel"] == channel, raw
        return msg

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


@pytest.fixture
def ws(server):
    clients = []

    def make(key=APP_KEY):
        c = WsClient(server.port, key)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def test_trigger_is_delivered_byte_exact(sdk, ws):
    c = ws()
    c.handshake()
    c.subscribe("py-news")
    # Non-canonical JSON (spacing, escaped slash, unicode escape) must arrive exactly as sent.
    data = '{"b": 1,  "a":"x\\/y", "u":"\\u00e9", "z":[1 ,2]}'
    result = sdk.trigger("py-news", "App\\Events\\PyEvent", data)
    assert result == {}
    raw, msg = c.recv_event("App\\Events\\PyEvent")
    assert msg["channel"] == "py-news", raw
    assert msg["data"] == data, raw

    plain = "not json at all: é ✓"
    sdk.trigger(["py-news"], "plain", plain)
    raw, msg = c.recv_event("plain")
    assert msg["data"] == plain, raw

    obj = {"message": "hello", "n": 1}
    sdk.trigger("py-news", "obj", obj)
    raw, msg = c.recv_event("obj")
    assert isinstance(msg["data"], str), raw
    assert json.loads(msg["data"]) == obj


def test_socket_id_exclusion(sdk, ws):
    a, b = ws(), ws()
    sid_a = a.handshake()
    b.handshake()
    a.subscribe("py-excl")
    b.subscribe("py-excl")
    sdk.trigger("py-excl", "ev", "1", socket_id=sid_a)
    sdk.trigger("py-excl", "ev", "2")
    assert b.recv_event("ev")[1]["data"] == "1"
    assert b.recv_event("ev")[1]["data"] == "2"
    # a is ordered: if "1" had been delivered to it, it would come first.
    assert a.recv_event("ev")[1]["data"] == "2"


def test_trigger_batch(sdk, ws):
    c = ws()
    c.handshake()
    c.subscribe("py-b1")
    c.subscribe("py-b2")
    result = sdk.trigger_batch(
        [
            {"channel": "py-b1", "name": "e1", "data": {"i": 1}},
            {"channel": "py-b2", "name": "e2", "data": "two"},
        ]
    )
    assert isinstance(result, dict)
    raw, msg = c.recv_event("e1")
    assert (msg["channel"], json.loads(msg["data"])) == ("py-b1", {"i": 1}), raw
    raw, msg = c.recv_event("e2")
    assert (msg["channel"], msg["data"]) == ("py-b2", "two"), raw


def test_channels_info_with_body_md5_on_get(sdk, ws):
    a, b = ws(), ws()
    a.handshake()
    b.handshake()
    a.subscribe("py-info")
    b.subscribe("py-info")
    all_channels = sdk.channels_info()
    assert "py-info" in all_channels["channels"], all_channels
    assert sdk.channels_info(prefix_filter="py-info") == {"channels": {"py-info": {}}}
    assert sdk.channels_info(prefix_filter="py-nothing-") == {"channels": {}}
    info = sdk.channel_info("py-info", ["subscription_count"])
    assert info == {"occupied": True, "subscription_count": 2}
    assert sdk.channel_info("py-empty")["occupied"] is False


def test_presence_users_and_user_count(sdk, ws):
    """Presence subscribe with a real signature (computed by the SDK's authenticate())."""
    channel = "presence-py.1"
    members = [("1", {"name": "Alice"}), ("1", {"name": "Alice"}), ("2", {"name": "Bob"})]
    clients = []
    for user_id, info in members:
        c = ws()
        sid = c.handshake()
        auth = sdk.authenticate(channel=channel, socket_id=sid, custom_data={"user_id": user_id, "user_info": info})
        msg = c.subscribe(channel, auth=auth["auth"], channel_data=auth["channel_data"])
        clients.append((c, msg))
    presence = json.loads(clients[-1][1]["data"])["presence"]
    assert presence["count"] == 2
    assert sorted(presence["ids"]) == ["1", "2"]
    assert presence["hash"] == {"1": {"name": "Alice"}, "2": {"name": "Bob"}}

    users = sdk.users_info(channel)
    assert sorted(u["id"] for u in users["users"]) == ["1", "2"]
    assert sdk.channel_info(channel, ["user_count"]) == {"occupied": True, "user_count": 2}
    assert sdk.channels_info(prefix_filter="presence-py", attributes=["user_count"]) == {
        "channels": {channel: {"user_count": 2}}
    }


def test_wrong_secret_is_401(server):
    bad = pusher.Pusher(
        app_id=APP_ID, key=APP_KEY, secret="wrong", host="127.0.0.1", port=server.port, ssl=False, timeout=5
    )
    with pytest.raises(PusherBadAuth):
        bad.trigger("py-news", "x", "{}")
    with pytest.raises(PusherBadAuth):
        bad.channels_info()


def test_raw_unknown_key_gets_4001_then_close_4001(server, ws):
    c = ws(key="no-such-key")
    raw, msg = c.recv_frame()
    assert msg["event"] == "pusher:error", raw
    data = msg["data"] if isinstance(msg["data"], dict) else json.loads(msg["data"])
    assert data["code"] == 4001, raw
    c.ws.settimeout(WAIT)
    opcode, payload = c.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, payload)
    assert int.from_bytes(payload[:2], "big") == 4001, payload


def test_raw_forged_subscription_is_channel_scoped_error(server, ws):
    c = ws()
    sid = c.handshake()
    channel = "private-py-forged"
    forged = pusher.Pusher(app_id=APP_ID, key=APP_KEY, secret="not-the-secret").authenticate(
        channel=channel, socket_id=sid
    )
    c.send("pusher:subscribe", {"channel": channel, "auth": forged["auth"]})
    raw, msg = c.recv_event("pusher:subscription_error")
    assert msg.get("channel") == channel, raw
    data = msg["data"] if isinstance(msg["data"], dict) else json.loads(msg["data"])
    assert data["type"] == "AuthError", raw
    assert data["status"] == 401, raw
    # Still connected and usable: ping → pong.
    c.send("pusher:ping", {})
    c.recv_event("pusher:pong")
