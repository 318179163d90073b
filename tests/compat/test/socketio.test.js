// Laravel Echo's `socket.io` broadcaster against a real resso process, with socket.io-client 4.x
// (Engine.IO 4) and 2.x (Engine.IO 3, what laravel-echo-server needed), each over the default
// transports (polling, then the upgrade) and over websocket only. Events come from the `pusher`
// Node SDK; private and presence channels are authorized by a small Laravel-like auth endpoint that
// the server calls (Laravel's RedisBroadcaster answers: `true`, `{"channel_data":{…}}`).

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { io as io4 } from 'socket.io-client';
import io2 from 'socket.io-client-2';

import { startLaravelAuth } from './laravel-auth.js';
import {
  APP,
  WAIT,
  connected,
  serverSdk,
  startServer,
  subscriptionCount,
  until,
  withTimeout,
  wsOptions,
} from './support.js';

const T = { timeout: 20_000 };

const config = (authHost) => `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"
client_events = true

[apps.socketio]
auth_host = "${authHost}"
`;

/** Resolves with the first argument of a callback-style Echo API. */
const firstCall = (register, what, ms = WAIT) => withTimeout(new Promise((resolve) => register(resolve)), ms, what);

const CLIENTS = [
  ['socket.io-client 4', io4],
  ['socket.io-client 2', io2],
];
const TRANSPORTS = [
  ['polling then websocket', undefined],
  ['websocket only', ['websocket']],
];

for (const [clientName, io] of CLIENTS) {
  for (const [transportName, transports] of TRANSPORTS) {
    describe(`laravel-echo socket.io, ${clientName}, ${transportName}`, () => {
      let server;
      let auth;
      let sdk;
      const echos = new Set();

      /** An Echo as a Laravel page configures it, signed in as `user` (the session cookie). */
      const makeEcho = async (user = 1) => {
        const echo = new Echo({
          broadcaster: 'socket.io',
          client: io,
          host: server.baseUrl,
          auth: { headers: { 'X-CSRF-TOKEN': `csrf-${user}` } },
          extraHeaders: { Cookie: `laravel_session=${user}; theme=dark` },
          transports,
          reconnection: false,
          forceNew: true,
        });
        echos.add(echo);
        const socket = echo.connector.socket;
        if (!socket.connected) {
          await withTimeout(
            new Promise((resolve, reject) => {
              socket.once('connect', resolve);
              socket.once('connect_error', reject);
            }),
            WAIT,
            `${clientName} to connect`,
          );
        }
        return echo;
      };
      /** Waits until the HTTP API counts `n` subscriptions on `channel`. */
      const subscriptions = (channel, n) =>
        subscriptionCount(sdk, channel, n);

      before(async () => {
        auth = await startLaravelAuth();
        server = await startServer({ config: config(auth.host) });
        sdk = serverSdk(server);
      });
      afterEach(() => {
        for (const echo of echos) echo.disconnect();
        echos.clear();
      });
      after(async () => {
        await server?.stop();
        await auth?.close();
      });

      test('listen() gets HTTP API events; toOthers() leaves out Echo.socketId()', T, async () => {
        const [alice, bob] = [await makeEcho(1), await makeEcho(2)];
        const got = { alice: [], bob: [] };
        alice.channel('orders').listen('OrderShipped', (e) => got.alice.push(e));
        bob.channel('orders').listen('.order.shipped', (e) => got.bob.push(e));
        bob.channel('orders').listen('OrderShipped', (e) => got.bob.push(e));
        await subscriptions('orders', 2);
        await sdk.trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 1 }, note: 'A/B "c"' });
        await sdk.trigger('orders', 'order.shipped', { order: { id: 2 } }, { socket_id: alice.socketId() });
        await sdk.trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 3 } });
        await until(() => got.alice.length === 2 && got.bob.length === 3, 'the events');
        assert.deepEqual(got.alice, [{ order: { id: 1 }, note: 'A/B "c"' }, { order: { id: 3 } }]);
        assert.deepEqual(got.bob.map((e) => e.order.id), [1, 2, 3]);
        assert.match(alice.socketId(), /^\d+\.\d+$/);
      });

      test('private channels are authorized by the app with the browser credentials', T, async () => {
        const echo = await makeEcho(1);
        const got = [];
        echo.private('orders.1').listen('OrderPaid', (e) => got.push(e));
        await subscriptions('private-orders.1', 1);
        const [req] = auth.forChannel('private-orders.1');
        assert.equal(req.body, 'channel_name=private-orders.1');
        assert.equal(req.headers['x-csrf-token'], 'csrf-1');
        assert.equal(req.headers['x-requested-with'], 'XMLHttpRequest');
        assert.equal(req.headers.cookie, 'laravel_session=1; theme=dark');
        assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
        await sdk.trigger('private-orders.1', 'App\\Events\\OrderPaid', { id: 9 });
        await until(() => got.length === 1, 'the private event');
        assert.deepEqual(got, [{ id: 9 }]);

        const refused = firstCall((cb) => echo.connector.socket.on('subscription_error', (...args) => cb(args)), 'subscription_error');
        echo.private('orders.denied');
        assert.deepEqual(await refused, ['private-orders.denied', 403]);
      });

      test('presence: here, joining, leaving once per user; whispers to the others', T, async () => {
        const alice = await makeEcho(1);
        const here = firstCall((cb) => alice.join('room').here(cb), 'here (alice)');
        assert.deepEqual(await here, [{ id: 1, name: 'Ann' }]);
        const joined = [];
        const left = [];
        const whispers = [];
        alice
          .join('room')
          .joining((u) => joined.push(u))
          .leaving((u) => left.push(u))
          .listenForWhisper('typing', (e) => whispers.push(e));

        const alice2 = await makeEcho(1);
        const here2 = await firstCall((cb) => alice2.join('room').here(cb), 'here (alice, second tab)');
        assert.deepEqual(here2, [{ id: 1, name: 'Ann' }]);
        const bob = await makeEcho(2);
        const hereBob = await firstCall((cb) => bob.join('room').here(cb), 'here (bob)');
        assert.deepEqual(hereBob.map((u) => u.id).sort(), [1, 2]);
        await until(() => joined.length === 1, 'joining');
        assert.deepEqual(joined, [{ id: 2, name: 'Bo' }]);

        const bobWhispers = [];
        bob.join('room').listenForWhisper('typing', (e) => bobWhispers.push(e));
        bob.join('room').whisper('typing', { who: 'Bo' });
        await until(() => whispers.length === 1, 'the whisper');
        assert.deepEqual(whispers, [{ who: 'Bo' }]);

        // A leaving for alice's second tab would be queued to alice before the count drops.
        alice2.disconnect();
        await subscriptions('presence-room', 2);
        bob.leave('room');
        await until(() => left.length === 1, 'leaving');
        assert.deepEqual(left, [{ id: 2, name: 'Bo' }]);
        assert.deepEqual(bobWhispers, [], 'never echoed');
      });

      test('notifications reach .notification()', T, async () => {
        const echo = await makeEcho(1);
        const note = firstCall((cb) => echo.private('App.Models.User.1').notification(cb), 'the notification');
        await subscriptions('private-App.Models.User.1', 1);
        await sdk.trigger('private-App.Models.User.1', 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated', {
          id: 'n-1',
          type: 'App\\Notifications\\InvoicePaid',
          amount: 5,
        });
        assert.deepEqual(await note, { id: 'n-1', type: 'App\\Notifications\\InvoicePaid', amount: 5 });
      });
    });
  }
}

describe('one presence channel for pusher-js and Socket.IO clients', () => {
  let server;
  let auth;
  let sdk;

  before(async () => {
    auth = await startLaravelAuth();
    server = await startServer({ config: config(auth.host) });
    sdk = serverSdk(server);
  });
  after(async () => {
    await server?.stop();
    await auth?.close();
  });

  test('each side lists and sees the other', T, async () => {
    const sio = new Echo({
      broadcaster: 'socket.io',
      client: io4,
      host: server.baseUrl,
      auth: { headers: { 'X-CSRF-TOKEN': 'x' } },
      extraHeaders: { Cookie: 'laravel_session=1' },
      transports: ['websocket'],
      reconnection: false,
    });
    const pusher = new Pusher(APP.key, {
      ...wsOptions(server),
      channelAuthorization: {
        transport: 'ajax',
        endpoint: 'unused',
        customHandler: ({ socketId, channelName }, cb) => {
          const data = { user_id: '2', user_info: { id: 2, name: 'Bo' } };
          cb(null, sdk.authorizeChannel(socketId, channelName, data));
        },
      },
    });
    try {
      const joined = [];
      const left = [];
      const here = await firstCall(
        (cb) =>
          sio
            .join('mixed')
            .here(cb)
            .joining((u) => joined.push(u))
            .leaving((u) => left.push(u)),
        'here (socket.io)',
      );
      assert.deepEqual(here, [{ id: 1, name: 'Ann' }]);
      await connected(pusher);
      const channel = pusher.subscribe('presence-mixed');
      const members = await withTimeout(
        new Promise((resolve) => channel.bind('pusher:subscription_succeeded', resolve)),
        WAIT,
        'pusher-js presence subscription',
      );
      assert.deepEqual(Object.keys(members.members).sort(), ['1', '2']);
      await until(() => joined.length === 1, 'socket.io sees the pusher-js member join');
      assert.deepEqual(joined, [{ id: 2, name: 'Bo' }]);
      pusher.unsubscribe('presence-mixed');
      await until(() => left.length === 1, 'socket.io sees the pusher-js member leave');
      assert.deepEqual(left, [{ id: 2, name: 'Bo' }]);
      const again = pusher.subscribe('presence-mixed');
      await withTimeout(
        new Promise((resolve) => again.bind('pusher:subscription_succeeded', resolve)),
        WAIT,
        'pusher-js presence subscription again',
      );
      const removed = new Promise((resolve) => again.bind('pusher:member_removed', resolve));
      sio.leave('mixed');
      assert.equal((await withTimeout(removed, WAIT, 'pusher-js sees the socket.io member leave')).id, '1');
    } finally {
      sio.disconnect();
      pusher.disconnect();
    }
  });
});
