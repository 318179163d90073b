// pusher-js 8 (Node build) and the `pusher` Node SDK against a real resso process: user
// authentication (signin, server-to-user, terminate, watchlist), cache channels and end-to-end
// encrypted channels.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ENCRYPTION_MASTER_KEY,
  connected,
  nextEvent,
  record,
  sleep,
  subscribe,
  until,
  withServer,
} from './support.js';

const T = { timeout: 20_000 };

/** Signs `client` in and waits until its `#server-to-user-{id}` channel is subscribed. */
async function signin(client) {
  await connected(client);
  client.signin();
  await until(() => client.user.serverToUserChannel?.subscribed, 'the #server-to-user channel');
  return client.user.user_data;
}

describe('pusher-js user authentication', () => {
  const ctx = withServer();

  test('signin, then sendToUser reaches every connection of that user only', T, async () => {
    const [a1, a2, b] = [ctx.client({ user: { id: 'ua' } }), ctx.client({ user: { id: 'ua' } }), ctx.client({ user: { id: 'ub' } })];
    for (const c of [a1, a2, b]) await signin(c);
    assert.equal(a1.user.user_data.id, 'ua');
    assert.equal(ctx.auth.requests.filter((r) => r.path === '/broadcasting/user-auth').length, 3);
    const [gotA1, gotA2, gotB] = [a1, a2, b].map((c) => record(c.user, 'invoice.paid'));
    await ctx.sdk.sendToUser('ua', 'invoice.paid', { invoice: 7 });
    await gotA1.wait(1);
    await gotA2.wait(1);
    assert.deepEqual(gotA1[0].data, { invoice: 7 });
    await ctx.sdk.sendToUser('ub', 'invoice.paid', { invoice: 8 });
    await gotB.wait(1);
    assert.deepEqual(gotB[0].data, { invoice: 8 });
    assert.equal(gotA1.length, 1, 'ua must not get ub’s event');
  });

  test('another connection cannot subscribe to a user’s #server-to-user channel', T, async () => {
    const victim = ctx.client({ user: { id: 'victim' } });
    await signin(victim);
    const spy = ctx.client({ user: { id: 'spy' } });
    await signin(spy);
    // pusher-js itself refuses to subscribe to such a name, so send the frame by hand.
    const frames = record(spy.connection, 'message');
    spy.send_event('pusher:subscribe', { channel: '#server-to-user-victim', auth: '' });
    await until(
      () => frames.find((f) => f.data.event === 'pusher:subscription_error'),
      'pusher:subscription_error for #server-to-user-victim',
    );
    const refusal = frames.find((f) => f.data.event === 'pusher:subscription_error');
    assert.equal(refusal.data.channel, '#server-to-user-victim');
    const victimGot = record(victim.user, 'secret');
    await ctx.sdk.sendToUser('victim', 'secret', { x: 1 });
    await victimGot.wait(1);
    await sleep(100);
    assert.ok(!frames.some((f) => f.data.event === 'secret'), 'the spy must not get the victim’s event');
  });

  test('terminateUserConnections closes that user’s connections and no others', T, async () => {
    const [t1, t2, other] = [ctx.client({ user: { id: 'ut' } }), ctx.client({ user: { id: 'ut' } }), ctx.client({ user: { id: 'uo' } })];
    for (const c of [t1, t2, other]) await signin(c);
    const closed = [t1, t2].map((c) => nextEvent(c.connection, 'state_change', { filter: (s) => s.current !== 'connected' }));
    await ctx.sdk.terminateUserConnections('ut');
    for (const p of closed) {
      const [change] = await p;
      assert.notEqual(change.current, 'connected');
    }
    await sleep(200);
    assert.equal(other.connection.state, 'connected');
    assert.notEqual(t1.connection.state, 'connected', 'a terminated connection is refused, not reconnected');
  });

  test('watchlist: online on signin and on every change, offline after the last connection', T, async () => {
    const watcher = ctx.client({ user: { id: 'w0', watchlist: ['w1', 'w2'] } });
    const online = record(watcher.user.watchlist, 'online');
    const offline = record(watcher.user.watchlist, 'offline');
    const w1 = ctx.client({ user: { id: 'w1' } });
    await signin(w1);
    await signin(watcher);
    await online.wait(1, 'w1 online at signin');
    assert.deepEqual(online[0].data.user_ids, ['w1']);

    const w2 = ctx.client({ user: { id: 'w2' } });
    await signin(w2);
    await online.wait(2, 'w2 online');
    assert.deepEqual(online[1].data.user_ids, ['w2']);

    const stranger = ctx.client({ user: { id: 'not-watched' } });
    await signin(stranger);
    w2.disconnect();
    await offline.wait(1, 'w2 offline');
    assert.deepEqual(offline[0].data.user_ids, ['w2']);
    assert.equal(online.length, 2, 'users outside the watchlist are never reported');
  });
});

describe('pusher-js cache and encrypted channels', () => {
  const ctx = withServer({ sdkOptions: { encryptionMasterKeyBase64: ENCRYPTION_MASTER_KEY } });

  test('cache channel: an empty one sends pusher:cache_miss, then the last event is replayed', T, async () => {
    const first = ctx.client();
    await connected(first);
    const ch = first.subscribe('cache-prices');
    await nextEvent(ch, 'pusher:cache_miss');

    await ctx.sdk.trigger('cache-prices', 'price', { eur: 1 });
    await ctx.sdk.trigger('cache-prices', 'price', { eur: 2 });
    const late = ctx.client();
    await connected(late);
    const lateCh = late.subscribe('cache-prices');
    const order = [];
    lateCh.bind('pusher:subscription_succeeded', () => order.push('subscribed'));
    lateCh.bind('pusher:cache_miss', () => order.push('miss'));
    const [data] = await nextEvent(lateCh, 'price');
    order.push('price');
    assert.deepEqual(data, { eur: 2 });
    assert.deepEqual(order, ['subscribed', 'price'], 'the cached event comes right after subscription_succeeded');
  });

  test('private-cache channel replays to an authorized subscriber', T, async () => {
    await ctx.sdk.trigger('private-cache-status', 'status', { up: true });
    const c = ctx.client();
    await connected(c);
    const ch = c.subscribe('private-cache-status');
    const [data] = await nextEvent(ch, 'status');
    assert.deepEqual(data, { up: true });
  });

  test('encrypted channel: pusher-js decrypts what the SDK encrypted; the server never sees plaintext', T, async () => {
    const c = ctx.client();
    const ch = await subscribe(c, 'private-encrypted-ledger');
    const [raw] = [record(c.connection, 'message')];
    const got = nextEvent(ch, 'entry');
    const secret = { amount: 42, memo: 'top secret ✓' };
    await ctx.sdk.trigger('private-encrypted-ledger', 'entry', secret);
    const [data] = await got;
    assert.deepEqual(data, secret);
    await raw.wait(1);
    const wire = raw.map((m) => JSON.stringify(m.data)).find((s) => s.includes('"entry"'));
    assert.ok(wire, 'the raw frame was seen');
    assert.ok(!wire.includes('top secret'), `plaintext must not be on the wire: ${wire}`);
    assert.ok(wire.includes('ciphertext') && wire.includes('nonce'), wire);
  });
});
