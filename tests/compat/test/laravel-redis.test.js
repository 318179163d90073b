// Laravel for real: Debian's php-laravel-framework publishes through Laravel's own RedisBroadcaster
// (broadcast(new Event), ->toOthers() with the page's X-Socket-ID, a broadcast notification) into a
// real redis-server; resso ingests it and Laravel Echo receives it — with the pusher connector for
// both key-prefix styles (Laravel <= 10 and >= 11), and with the socket.io connector (the
// laravel-echo-server setup) over socket.io-client 4 and 2.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { io as io4 } from 'socket.io-client';
import io2 from 'socket.io-client-2';

import { startRedis } from './broker.js';
import { ingesting, php } from './laravel-php.js';
import { startLaravelAuth } from './laravel-auth.js';
import {
  APP,
  WAIT,
  connected,
  serverSdk,
  startAuthServer,
  startServer,
  subscriptionCount,
  until,
  withTimeout,
  wsOptions,
} from './support.js';

const T = { timeout: 30_000 };
/**
 * What broadcast.php's three publishes must deliver: both OrderShipped to the other page, only the
 * first to the sender (the second went ->toOthers()), and the notification to the sender.
 */
async function assertLaravelDeliveries({ senderGot, otherGot, notifications, senderSocket }) {
  const note = 'caf\u00e9 "1" / 2';
  await until(() => otherGot.length === 2, `two OrderShipped for the other page (got ${JSON.stringify(otherGot)})`);
  assert.deepEqual(otherGot, [
    { id: 1, note, socket: null },
    { id: 2, note, socket: senderSocket },
  ]);
  // The notification was published after ->toOthers(), on the same Redis channel stream: once it
  // is here, the excluded event would have been too.
  await until(() => notifications.length === 1, 'the notification');
  assert.deepEqual(senderGot, [{ id: 1, note, socket: null }]);
  const [notification] = notifications;
  assert.equal(notification.invoice, 3);
  assert.equal(notification.type, 'App\\Notifications\\InvoicePaid');
  assert.match(notification.id, /^[0-9a-f-]{36}$/);
}

for (const prefix of ['laravel_database_', 'laravel-database-']) {
  describe(`Laravel's redis broadcaster, prefix ${prefix}`, () => {
    let redis;
    let redisPort;
    let server;
    let auth;
    const echos = [];

    before(async () => {
      redis = await startRedis();
      redisPort = new URL(redis.url).port;
      server = await startServer({
        config: `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"
ingest = { url = "${redis.url}", prefix = "${prefix}" }
`,
      });
      auth = await startAuthServer();
    });
    after(async () => {
      for (const echo of echos) echo.disconnect();
      await auth?.close();
      await server?.stop();
      await redis?.stop();
    });

    const makeEcho = () => {
      const echo = new Echo({ broadcaster: 'reverb', Pusher, key: APP.key, ...wsOptions(server), authEndpoint: auth.url });
      echos.push(echo);
      return echo;
    };
    const subscribed = (channel, what) =>
      withTimeout(new Promise((resolve) => channel.subscribed(resolve)), WAIT, `${what} subscribed`);

    test('broadcast(), ->toOthers() and a notification reach Echo', T, async () => {
      const sender = makeEcho();
      const other = makeEcho();
      await Promise.all([connected(sender.connector.pusher), connected(other.connector.pusher)]);
      const senderGot = [];
      const otherGot = [];
      const notifications = [];
      const a = sender.channel('orders').listen('OrderShipped', (e) => senderGot.push(e));
      const b = other.channel('orders').listen('OrderShipped', (e) => otherGot.push(e));
      const n = sender.private('App.Models.User.7').notification((e) => notifications.push(e));
      await Promise.all([subscribed(a, 'orders'), subscribed(b, 'orders'), subscribed(n, 'private-App.Models.User.7')]);
      await ingesting(redisPort, prefix);

      await php(redisPort, prefix, sender.socketId(), '7');

      await assertLaravelDeliveries({ senderGot, otherGot, notifications, senderSocket: sender.socketId() });
    });
  });
}

describe("Laravel's redis broadcaster to Echo's socket.io connector", () => {
  const prefix = 'laravel_database_';
  let redis;
  let redisPort;
  let server;
  let auth;
  let sdk;
  const echos = [];

  before(async () => {
    redis = await startRedis();
    redisPort = new URL(redis.url).port;
    auth = await startLaravelAuth();
    server = await startServer({
      config: `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"
ingest = { url = "${redis.url}", prefix = "${prefix}" }

[apps.socketio]
auth_host = "${auth.host}"
`,
    });
    sdk = serverSdk(server);
  });
  after(async () => {
    for (const echo of echos) echo.disconnect();
    await server?.stop();
    await auth?.close();
    await redis?.stop();
  });

  /** An Echo as a Laravel page with the socket.io connector sets it up, signed in as user 7. */
  const makeEcho = async (io) => {
    const echo = new Echo({
      broadcaster: 'socket.io',
      client: io,
      host: server.baseUrl,
      auth: { headers: { 'X-CSRF-TOKEN': 'csrf-7' } },
      extraHeaders: { Cookie: 'laravel_session=7' },
      reconnection: false,
      forceNew: true,
    });
    echos.push(echo);
    const socket = echo.connector.socket;
    if (!socket.connected) {
      await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), WAIT, 'socket.io connect');
    }
    return echo;
  };
  const subscriptions = (channel, n) =>
    subscriptionCount(sdk, channel, n);

  for (const [clientName, io] of [
    ['socket.io-client 4', io4],
    ['socket.io-client 2', io2],
  ]) {
    test(`${clientName}: broadcast(), ->toOthers() and a notification reach Echo`, T, async () => {
      const [sender, other] = [await makeEcho(io), await makeEcho(io)];
      const senderGot = [];
      const otherGot = [];
      const notifications = [];
      sender.channel('orders').listen('OrderShipped', (e) => senderGot.push(e));
      other.channel('orders').listen('OrderShipped', (e) => otherGot.push(e));
      sender.private('App.Models.User.7').notification((e) => notifications.push(e));
      await subscriptions('orders', 2);
      await subscriptions('private-App.Models.User.7', 1);
      await ingesting(redisPort, prefix);

      assert.match(sender.socketId(), /^\d+\.\d+$/);
      await php(redisPort, prefix, sender.socketId(), '7');

      await assertLaravelDeliveries({ senderGot, otherGot, notifications, senderSocket: sender.socketId() });
      for (const echo of [sender, other]) echo.disconnect();
      await subscriptions('orders', 0);
    });
  }
});
