// Laravel Echo 2 (broadcaster 'reverb' and 'pusher', pusher-js underneath) against a real resso
// process, with events published by the `pusher` Node SDK (what Laravel's PusherBroadcaster does).

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

import { APP, WAIT, connected, serverSdk, sleep, startAuthServer, startServer, until, withTimeout, wsOptions } from './support.js';

const T = { timeout: 20_000 };

/** Resolves with the first call's argument of a callback-style Echo API. */
function firstCall(register, what, ms = WAIT) {
  return withTimeout(new Promise((resolve) => register(resolve)), ms, what);
}

/** A pusher-js `authorizer` (the pre-8 option Echo apps still use) that POSTs with fetch. */
function fetchAuthorizer(authUrl, user) {
  return (channel) => ({
    authorize(socketId, callback) {
      const body = new URLSearchParams({ socket_id: socketId, channel_name: channel.name });
      if (user) {
        body.set('user_id', user.id);
        body.set('user_name', user.name);
      }
      fetch(authUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
        .then(async (res) => {
          if (res.status !== 200) callback(new Error(`auth endpoint returned ${res.status}`), null);
          else callback(null, await res.json());
        })
        .catch((e) => callback(e, null));
    },
  });
}

for (const broadcaster of ['reverb', 'pusher']) {
  describe(`laravel-echo broadcaster '${broadcaster}'`, () => {
    let server;
    let auth;
    let sdk;
    const echos = new Set();

    /** An Echo instance as a Laravel front end would configure it. */
    const makeEcho = (user) => {
      const base = wsOptions(server);
      const options = {
        broadcaster,
        Pusher,
        key: APP.key,
        wsHost: base.wsHost,
        wsPort: base.wsPort,
        wssPort: base.wssPort,
        httpHost: base.httpHost,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
      };
      if (broadcaster === 'reverb') {
        // Echo's reverb connector adds cluster: ''. Auth through authEndpoint (pusher-js ajax).
        options.authEndpoint = auth.url;
        options.auth = { headers: { 'X-Test': 'echo' }, params: user ? { user_id: user.id, user_name: user.name } : {} };
      } else {
        options.cluster = 'mt1'; // a typical Pusher config; wsHost/httpHost keep everything local
        options.authorizer = fetchAuthorizer(auth.url, user);
      }
      const echo = new Echo(options);
      echos.add(echo);
      return echo;
    };
    const ready = (echo) => connected(echo.connector.pusher);
    const subscribed = (channel, name) => firstCall((cb) => channel.subscribed(cb), `${name} subscribed`);

    before(async () => {
      server = await startServer();
      auth = await startAuthServer();
      sdk = serverSdk(server);
    });
    afterEach(async () => {
      const list = [...echos];
      echos.clear();
      for (const e of list) e.disconnect();
      await sleep(50);
      for (const e of list) if (e.connector.pusher.connection.state !== 'disconnected') e.disconnect();
    });
    after(async () => {
      await auth?.close();
      await server?.stop();
    });

    test('connects; socketId() is a Pusher socket id', T, async () => {
      const echo = makeEcho();
      await ready(echo);
      assert.match(echo.socketId(), /^\d+\.\d+$/);
      assert.equal(echo.connectionStatus(), 'connected');
    });

    test(".channel('orders').listen('.order.shipped') and .listen('OrderShipped')", T, async () => {
      const echo = makeEcho();
      const dotted = [];
      const classed = [];
      const channel = echo.channel('orders');
      channel.listen('.order.shipped', (e) => dotted.push(e)).listen('OrderShipped', (e) => classed.push(e));
      await subscribed(channel, 'orders');

      await sdk.trigger('orders', 'order.shipped', { order: { id: 1 } });
      await sdk.trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 2 }, tracking: 'A/B "c"' });
      await until(() => classed.length >= 1, 'App\\Events\\OrderShipped via .listen("OrderShipped")');
      assert.deepEqual(dotted, [{ order: { id: 1 } }]);
      assert.deepEqual(classed, [{ order: { id: 2 }, tracking: 'A/B "c"' }]);

      // toOthers(): socket_id exclusion of the Echo connection.
      const other = makeEcho();
      const otherGot = [];
      const otherChannel = other.channel('orders').listen('.order.shipped', (e) => otherGot.push(e));
      await subscribed(otherChannel, 'orders (second client)');
      await sdk.trigger('orders', 'order.shipped', { order: { id: 3 } }, { socket_id: echo.socketId() });
      await sdk.trigger('orders', 'order.shipped', { order: { id: 4 } });
      await until(() => dotted.length >= 2 && otherGot.length >= 2, 'both order.shipped events');
      assert.deepEqual(dotted.map((e) => e.order.id), [1, 4]);
      assert.deepEqual(otherGot.map((e) => e.order.id), [3, 4]);
    });

    test(".private('orders.1') authorizes and receives", T, async () => {
      const echo = makeEcho();
      const got = [];
      const channel = echo.private('orders.1').listen('.status.updated', (e) => got.push(e));
      await subscribed(channel, 'private-orders.1');
      const reqs = auth.forChannel('private-orders.1');
      assert.ok(reqs.length >= 1);
      assert.equal(reqs.at(-1).params.socket_id, echo.socketId());
      await sdk.trigger('private-orders.1', 'status.updated', { status: 'shipped' });
      await until(() => got.length === 1, 'private event');
      assert.deepEqual(got, [{ status: 'shipped' }]);
    });

    test(".join('chat.1') here / joining / leaving", T, async () => {
      const alice = makeEcho({ id: '1', name: 'Alice' });
      const bob = makeEcho({ id: '2', name: 'Bob' });
      const joining = [];
      const leaving = [];
      const aliceHere = firstCall(
        (cb) =>
          alice
            .join('chat.1')
            .here(cb)
            .joining((u) => joining.push(u))
            .leaving((u) => leaving.push(u)),
        'alice here()',
      );
      assert.deepEqual(await aliceHere, [{ name: 'Alice' }]);

      const bobHere = await firstCall((cb) => bob.join('chat.1').here(cb), 'bob here()');
      assert.deepEqual(
        bobHere.map((u) => u.name).sort(),
        ['Alice', 'Bob'],
      );
      await until(() => joining.length === 1, 'joining(Bob)');
      assert.deepEqual(joining, [{ name: 'Bob' }]);

      bob.leave('chat.1');
      await until(() => leaving.length === 1, 'leaving(Bob)');
      assert.deepEqual(leaving, [{ name: 'Bob' }]);
      assert.equal(joining.length, 1);
    });

    test('whisper / listenForWhisper (not echoed to the sender)', T, async () => {
      const alice = makeEcho({ id: '1', name: 'Alice' });
      const bob = makeEcho({ id: '2', name: 'Bob' });
      const aliceGot = [];
      const bobGot = [];
      const aChannel = alice.private('chat.2').listenForWhisper('typing', (e) => aliceGot.push(e));
      const bChannel = bob.private('chat.2').listenForWhisper('typing', (e) => bobGot.push(e));
      // Register both before awaiting either: subscription_succeeded is emitted only once.
      await Promise.all([subscribed(aChannel, 'alice private-chat.2'), subscribed(bChannel, 'bob private-chat.2')]);

      aChannel.whisper('typing', { name: 'Alice', typing: true });
      await until(() => bobGot.length === 1, 'bob receives the whisper');
      assert.deepEqual(bobGot, [{ name: 'Alice', typing: true }]);
      // Bob replies only after receiving, so an echo to Alice would arrive first.
      bChannel.whisper('typing', { name: 'Bob', typing: false });
      await until(() => aliceGot.length >= 1, 'alice receives the reply');
      assert.deepEqual(aliceGot, [{ name: 'Bob', typing: false }]);

      // Presence whisper works too.
      const aP = alice.join('room.2');
      const bP = bob.join('room.2');
      const presenceGot = [];
      bP.listenForWhisper('typing', (e) => presenceGot.push(e));
      await Promise.all([
        firstCall((cb) => aP.here(cb), 'alice here(room.2)'),
        firstCall((cb) => bP.here(cb), 'bob here(room.2)'),
      ]);
      aP.whisper('typing', { in: 'presence' });
      await until(() => presenceGot.length === 1, 'presence whisper');
      assert.deepEqual(presenceGot, [{ in: 'presence' }]);
    });

    test('.error() fires when the auth endpoint refuses (403)', T, async () => {
      const echo = makeEcho({ id: '1', name: 'Alice' });
      await ready(echo);
      let subscribedCalled = false;
      const err = await firstCall(
        (cb) =>
          echo
            .private('denied.1')
            .subscribed(() => {
              subscribedCalled = true;
            })
            .error(cb),
        '.error() for private-denied.1',
      );
      assert.equal(err.type, 'AuthError');
      if (broadcaster === 'reverb') assert.equal(err.status, 403);
      else assert.match(err.error, /403/);
      assert.equal(auth.forChannel('private-denied.1').at(-1)?.status, 403);
      assert.equal(subscribedCalled, false);
    });

    test('.error() fires when the server refuses a forged signature', T, async () => {
      const echo = makeEcho({ id: '1', name: 'Alice' });
      await ready(echo);
      for (const [kind, channel, full] of [
        ['private', 'forged.1', 'private-forged.1'],
        ['join', 'forged.2', 'presence-forged.2'],
      ]) {
        let subscribedCalled = false;
        const err = await firstCall(
          (cb) =>
            echo[kind](channel)
              .subscribed(() => {
                subscribedCalled = true;
              })
              .error(cb),
          `.error() for ${full}`,
        );
        // The auth endpoint said yes (with a bad signature); the refusal is the server's frame.
        assert.equal(auth.forChannel(full).at(-1)?.status, 200);
        assert.equal(err.type, 'AuthError', `${full}: ${JSON.stringify(err)}`);
        assert.equal(err.status, 401, `${full}: ${JSON.stringify(err)}`);
        assert.equal(typeof err.error, 'string');
        assert.equal(subscribedCalled, false);
      }
      assert.equal(echo.connectionStatus(), 'connected');
    });
  });
}
