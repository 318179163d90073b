#!/usr/bin/env python3
"""Cold-miss and warm connect cost of apps kept in the app store (docs/benchmarks.md).

Against a running `resso` (PID and port given) whose [app_store] holds apps with keys
PREFIX0 .. PREFIX{N-1}: connects once with each key (each a cold miss: one SELECT by key), then
again with each (warm: a hash lookup), sequentially, one connection at a time. Each connect is a
WebSocket upgrade read up to `pusher:connection_established`, then closed. Prints, per pass, the
median and p99 wall time of a connect and the server's CPU per connect (from /proc/PID/stat).

usage: bench/store_miss.py PID PORT N [PREFIX]
       bench/store_miss.py PID PORT N --same KEY   (N warm connects with one key: a file app's or
                                                   a database app's, for comparison)
"""
import os
import socket
import statistics
import sys
import time


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connect(port, key):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        (
            f"GET /app/{key}?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    data = b""
    while b"connection_established" not in data and b"pusher:error" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert b"connection_established" in data, data[:300]


def run(pid, port, keys):
    times = []
    cpu = cpu_seconds(pid)
    for key in keys:
        start = time.perf_counter()
        connect(port, key)
        times.append(time.perf_counter() - start)
    cpu = cpu_seconds(pid) - cpu
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)], cpu / len(keys)


def main():
    pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    if len(sys.argv) > 5 and sys.argv[4] == "--same":
        keys, passes = [sys.argv[5]] * n, ("first", "again")
    else:
        prefix = sys.argv[4] if len(sys.argv) > 4 else "key-"
        keys, passes = [f"{prefix}{i}" for i in range(n)], ("cold", "warm")
    for name in passes:
        median, p99, cpu = run(pid, port, keys)
        print(f"{name}: {n} connects, median {median * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs, "
              f"server CPU {cpu * 1e6:.0f} µs per connect")


if __name__ == "__main__":
    main()
