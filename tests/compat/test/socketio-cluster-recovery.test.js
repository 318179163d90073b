// Socket.IO connection state recovery across a two-node cluster (a real redis-server): an
// unmodified Laravel Echo page on socket.io-client 4 reaches the nodes through a proxy standing in
// for a load balancer; the proxy drops the page's TCP connection and sends its reconnect to the
// other node. The page gets its session back there (same socket id, `socket.recovered`) and every
// event published meanwhile, on either node, exactly once and in order.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import { io as io4 } from 'socket.io-client';

import { startRedis } from './broker.js';
import { startProxy } from './proxy.js';
import {
  APP,
  WAIT,
  serverSdk,
  sleep,
  startServer,
  subscriptionCount,
  until,
  withTimeout,
} from './support.js';

const T = { timeout: 30_000 };

const config = (redisUrl) => `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"

[apps.socketio]
recovery_window = 10000

[cluster]
backend = "redis"
url = "${redisUrl}"
prefix = "sio-recovery-"
heartbeat_ms = 200
node_timeout_ms = 1000
`;

describe('Socket.IO recovery on another node of a cluster (socket.io-client 4, laravel-echo)', () => {
  let redis;
  let nodes;
  let sdks;
  let proxy;

  /** Waits until node `i`'s HTTP API counts `n` subscriptions on `channel`, cluster-wide. */
  const subscriptions = (i, channel, n) =>
    subscriptionCount(sdks[i], channel, n, `${n} subscriptions on ${channel} seen by node ${i + 1}`);

  before(async () => {
    redis = await startRedis();
    nodes = [await startServer({ config: config(redis.url) }), await startServer({ config: config(redis.url) })];
    sdks = nodes.map((n) => serverSdk(n));
    proxy = await startProxy(nodes[0].port);
  });
  after(async () => {
    proxy?.close();
    for (const n of nodes ?? []) await n.stop();
    await redis?.stop();
  });

  test('the page comes back on the other node with every event it missed, once, in order', T, async () => {
    const echo = new Echo({
      broadcaster: 'socket.io',
      client: io4,
      host: proxy.url,
      transports: ['websocket'],
      reconnectionDelay: 200,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
      forceNew: true,
    });
    try {
      const socket = echo.connector.socket;
      await withTimeout(new Promise((r) => socket.once('connect', r)), WAIT, 'connect');
      const got = [];
      echo.channel('orders').listen('.shipped', (e) => got.push(e.n));
      await subscriptions(1, 'orders', 1);
      await sdks[0].trigger('orders', 'shipped', { n: 0 });
      await until(() => got.length === 1, 'the first event');
      const oldId = socket.id;

      const back = new Promise((r) => socket.once('connect', r));
      proxy.drop();
      // Half on each node. Events published on two nodes at once have no order between them (each
      // node delivers its own first), so the halves are a moment apart: one order for every node.
      for (let n = 1; n <= 10; n++) await sdks[1].trigger('orders', 'shipped', { n });
      await sleep(300);
      for (let n = 11; n <= 20; n++) await sdks[0].trigger('orders', 'shipped', { n });
      proxy.retarget(nodes[1].port);
      proxy.restore();
      await withTimeout(back, WAIT, 'the reconnect to node 2');
      assert.equal(socket.recovered, true, 'socket.recovered on the other node');
      assert.equal(socket.id, oldId, 'the same socket id');
      await sdks[0].trigger('orders', 'shipped', { n: 21 });
      await until(() => got.length >= 22, `every event (got ${JSON.stringify(got)})`);
      await sleep(300);
      assert.deepEqual(got, Array.from({ length: 22 }, (_, n) => n));
      await subscriptions(0, 'orders', 1);
    } finally {
      echo.disconnect();
    }
  });
});
