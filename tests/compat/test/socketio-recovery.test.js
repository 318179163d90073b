// Socket.IO connection state recovery with an unmodified Laravel Echo page on socket.io-client 4:
// the transport is cut (`socket.io.engine.close()`, or a proxy drops the TCP connection) while
// events are published through the HTTP API and Laravel's own `redis` broadcaster;
// after the automatic reconnect `socket.recovered` is true and Echo's listener has every event exactly
// once, in order; private and presence channels come back without a second call to the app's auth
// endpoint and the other members never see the member leave. Past the window: a fresh session.
// socket.io-client 2 (no recovery in its protocol) gets events without the offset argument.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { io as io4 } from 'socket.io-client';
import io2 from 'socket.io-client-2';

import { startRedis } from './broker.js';
import { startLaravelAuth } from './laravel-auth.js';
import { ingesting, php } from './laravel-php.js';
import { startProxy } from './proxy.js';
import {
  APP,
  WAIT,
  connected,
  serverSdk,
  sleep,
  startServer,
  subscriptionCount,
  until,
  withTimeout,
  wsOptions,
} from './support.js';

const T = { timeout: 20_000 };
const WINDOW_MS = 1500;

const PREFIX = 'laravel_database_';
const config = (authHost, redisUrl) => `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"

[apps.socketio]
auth_host = "${authHost}"
recovery_window = ${WINDOW_MS}

[apps.ingest]
url = "${redisUrl}"
prefix = "${PREFIX}"
`;

describe('Socket.IO connection state recovery (socket.io-client 4, laravel-echo)', () => {
  let server;
  let auth;
  let sdk;
  let redis;
  const cleanups = [];

  /** An Echo page signed in as user 1, reconnecting 200 ms after a cut. */
  const makeEcho = async (transports, host = server.baseUrl) => {
    const echo = new Echo({
      broadcaster: 'socket.io',
      client: io4,
      host,
      auth: { headers: { 'X-CSRF-TOKEN': 'csrf-1' } },
      extraHeaders: { Cookie: 'laravel_session=1' },
      transports,
      reconnectionDelay: 200,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
      forceNew: true,
    });
    cleanups.push(() => echo.disconnect());
    await withTimeout(new Promise((resolve) => echo.connector.socket.once('connect', resolve)), WAIT, 'connect');
    return echo;
  };

  /** Waits until the HTTP API counts `n` subscriptions on `channel`. */
  const subscriptions = (channel, n) =>
    subscriptionCount(sdk, channel, n);

  /** Cuts the transport, runs `meanwhile`, and resolves once the socket is connected again. */
  const cut = async (echo, meanwhile) => {
    const socket = echo.connector.socket;
    const back = new Promise((resolve) => socket.once('connect', resolve));
    socket.io.engine.close();
    await meanwhile();
    await withTimeout(back, WAIT, 'the reconnect');
  };

  before(async () => {
    auth = await startLaravelAuth();
    redis = await startRedis();
    server = await startServer({ config: config(auth.host, redis.url) });
    sdk = serverSdk(server);
    await ingesting(new URL(redis.url).port, PREFIX);
  });
  afterEach(() => {
    while (cleanups.length) cleanups.pop()();
  });
  after(async () => {
    await server?.stop();
    await auth?.close();
    await redis?.stop();
  });

  for (const [name, transports] of [
    ['websocket', ['websocket']],
    ['polling then websocket', undefined],
  ]) {
    test(`every event published while the transport is cut arrives once, in order (${name})`, T, async () => {
      const echo = await makeEcho(transports);
      const got = [];
      echo.channel('orders').listen('OrderShipped', (e) => got.push(e.n));
      await subscriptions('orders', 1);
      await sdk.trigger('orders', 'App\\Events\\OrderShipped', { n: 0 });
      await until(() => got.length === 1, 'the first event');
      await cut(echo, async () => {
        for (let n = 1; n <= 20; n++) await sdk.trigger('orders', 'App\\Events\\OrderShipped', { n });
      });
      assert.equal(echo.connector.socket.recovered, true, 'socket.recovered');
      await sdk.trigger('orders', 'App\\Events\\OrderShipped', { n: 21 });
      await until(() => got.length >= 22, 'every event');
      await sleep(200);
      assert.deepEqual(got, Array.from({ length: 22 }, (_, n) => n));
      await subscriptions('orders', 1);
    });
  }

  test('events from the HTTP API and from Laravel redis broadcaster while the transport is cut', T, async () => {
    const echo = await makeEcho(['websocket']);
    const got = [];
    echo.channel('orders').listen('OrderShipped', (e) => got.push(e.id ?? e.n));
    await subscriptions('orders', 1);
    await cut(echo, async () => {
      for (let n = 1; n <= 10; n++) await sdk.trigger('orders', 'App\\Events\\OrderShipped', { n });
      await php(new URL(redis.url).port, PREFIX, '', '1', '11', '20');
    });
    assert.equal(echo.connector.socket.recovered, true, 'socket.recovered');
    await until(() => got.length >= 20, `every event (got ${JSON.stringify(got)})`);
    await sleep(200);
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test('a proxy that drops the TCP connection: recovered, nothing lost or repeated', T, async () => {
    const proxy = await startProxy(server.port);
    cleanups.push(() => proxy.close());
    const echo = await makeEcho(['websocket'], proxy.url);
    const socket = echo.connector.socket;
    const got = [];
    echo.channel('parcels').listen('.moved', (e) => got.push(e.n));
    await subscriptions('parcels', 1);
    await sdk.trigger('parcels', 'moved', { n: 0 });
    await until(() => got.length === 1, 'the first event');
    const oldId = socket.id;
    const back = new Promise((resolve) => socket.once('connect', resolve));
    proxy.drop(); // no close frame, no FIN from the client: its TCP connection just ends
    for (let n = 1; n <= 20; n++) await sdk.trigger('parcels', 'moved', { n });
    proxy.restore();
    await withTimeout(back, WAIT, 'the reconnect through the proxy');
    assert.equal(socket.recovered, true, 'socket.recovered');
    assert.equal(socket.id, oldId, 'the same socket id');
    await sdk.trigger('parcels', 'moved', { n: 21 });
    await until(() => got.length >= 22, 'every event');
    await sleep(200);
    assert.deepEqual(got, Array.from({ length: 22 }, (_, n) => n));
  });

  test('private and presence channels recover without a second auth call; no one sees a leave', T, async () => {
    const echo = await makeEcho(['websocket']);
    const got = [];
    echo.private('orders.1').listen('OrderPaid', (e) => got.push(e.n));
    await firstHere(echo);
    await subscriptions('private-orders.1', 1);
    const calls = auth.requests.length;

    const pusher = new Pusher(APP.key, {
      ...wsOptions(server),
      channelAuthorization: {
        transport: 'ajax',
        endpoint: 'unused',
        customHandler: ({ socketId, channelName }, cb) =>
          cb(null, sdk.authorizeChannel(socketId, channelName, { user_id: '2', user_info: { id: 2 } })),
      },
    });
    cleanups.push(() => pusher.disconnect());
    await connected(pusher);
    const room = pusher.subscribe('presence-room');
    await withTimeout(new Promise((r) => room.bind('pusher:subscription_succeeded', r)), WAIT, 'pusher-js joins');
    const removed = [];
    room.bind('pusher:member_removed', (m) => removed.push(m.id));

    await cut(echo, async () => {
      for (let n = 1; n <= 5; n++) await sdk.trigger('private-orders.1', 'App\\Events\\OrderPaid', { n });
      assert.ok(room.members.get('1'), 'listed while away');
    });
    assert.equal(echo.connector.socket.recovered, true);
    await until(() => got.length === 5, 'the private events');
    await sleep(300); // Echo's re-subscriptions have been answered (or not)
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.equal(auth.requests.length, calls, 'no second auth call');
    assert.deepEqual(removed, [], 'no member_removed');
    assert.ok(room.members.get('1'));
  });

  test('past the window the client gets a fresh session, and Echo subscribes again', T, async () => {
    const echo = await makeEcho(['websocket']);
    const socket = echo.connector.socket;
    const got = [];
    echo.channel('news').listen('.story', (e) => got.push(e.n));
    await subscriptions('news', 1);
    await sdk.trigger('news', 'story', { n: 0 });
    await until(() => got.length === 1, 'the first event');
    const oldId = socket.id;
    socket.io.reconnectionDelay(WINDOW_MS + 1000);
    socket.io.reconnectionDelayMax(WINDOW_MS + 1000);
    await cut(echo, async () => {
      await sdk.trigger('news', 'story', { n: 1 });
    });
    assert.equal(socket.recovered, false);
    assert.notEqual(socket.id, oldId);
    await subscriptions('news', 1);
    await sdk.trigger('news', 'story', { n: 2 });
    await until(() => got.length === 2, 'the next event');
    assert.deepEqual(got, [0, 2]);
  });

  test('socket.io-client 2 gets events without the offset argument', T, async () => {
    const v2 = io2(server.baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false });
    const v4 = io4(server.baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false });
    cleanups.push(() => v2.close(), () => v4.close());
    for (const s of [v2, v4]) {
      await withTimeout(new Promise((r) => s.once('connect', r)), WAIT, 'connect');
      s.emit('subscribe', { channel: 'mixed' });
    }
    await subscriptions('mixed', 2);
    const args = (s) => withTimeout(new Promise((r) => s.once('e', (...a) => r(a))), WAIT, 'the event');
    const [a2, a4] = [args(v2), args(v4)];
    await sdk.trigger('mixed', 'e', { x: 1 });
    assert.deepEqual(await a2, ['mixed', { x: 1 }]);
    const [channel, data, offset] = await a4;
    assert.deepEqual([channel, data], ['mixed', { x: 1 }]);
    assert.match(offset, /^\d+$/);
  });
});

/** Joins `presence-room` and resolves with Echo's `here` list. */
function firstHere(echo) {
  return withTimeout(new Promise((resolve) => echo.join('room').here(resolve)), WAIT, 'here');
}
