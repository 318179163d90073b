// pusher-js 8 (Node build) and the `pusher` Node server SDK against a real resso process.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  APP,
  WAIT,
  clientFactory,
  connected,
  errorCode,
  nextEvent,
  record,
  serverSdk,
  sleep,
  startServer,
  subscribe,
  until,
  withServer,
} from './support.js';

const T = { timeout: 20_000 };

describe('pusher-js + pusher SDK', () => {
  const ctx = withServer();

  test('connects and gets a socket_id like 123.456', T, async () => {
    const c = ctx.client();
    const socketId = await connected(c);
    assert.match(socketId, /^\d+\.\d+$/);
    assert.equal(c.connection.state, 'connected');
    const other = ctx.client();
    assert.notEqual(await connected(other), socketId, 'socket ids must be unique');
  });

  test('public channel: SDK trigger arrives parsed, strings stay strings', T, async () => {
    const c = ctx.client();
    const ch = await subscribe(c, 'news');
    const got = nextEvent(ch, 'story');
    const payload = { message: 'hello', n: 1, nested: { list: [1, 'two', null], ok: true }, text: 'ü ✓ / "q"' };
    await ctx.sdk.trigger('news', 'story', payload);
    const [data] = await got;
    assert.deepEqual(data, payload);

    const gotString = nextEvent(ch, 'App\\Events\\Plain');
    await ctx.sdk.trigger('news', 'App\\Events\\Plain', 'just text, not JSON');
    assert.equal((await gotString)[0], 'just text, not JSON');
  });

  test('trigger with socket_id excludes that connection only', T, async () => {
    const a = ctx.client();
    const b = ctx.client();
    const cha = await subscribe(a, 'excl');
    const chb = await subscribe(b, 'excl');
    const seenA = record(cha, 'ev');
    const seenB = record(chb, 'ev');
    await ctx.sdk.trigger('excl', 'ev', { n: 1 }, { socket_id: a.connection.socket_id });
    await ctx.sdk.trigger('excl', 'ev', { n: 2 });
    await seenB.wait(2);
    await seenA.wait(1);
    // Per-connection delivery is ordered, so n:1 would have arrived before n:2.
    assert.deepEqual(seenA.map((e) => e.data), [{ n: 2 }]);
    assert.deepEqual(seenB.map((e) => e.data), [{ n: 1 }, { n: 2 }]);

    // A valid but unknown socket_id excludes nobody and is not an error.
    await ctx.sdk.trigger('excl', 'ev', { n: 3 }, { socket_id: '999999.999999' });
    await seenA.wait(2);
    assert.deepEqual(seenA[1].data, { n: 3 });
  });

  test('private channel subscribes through the auth endpoint', T, async () => {
    const c = ctx.client();
    const ch = await subscribe(c, 'private-orders.1');
    const reqs = ctx.auth.forChannel('private-orders.1');
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].status, 200);
    assert.equal(reqs[0].params.socket_id, c.connection.socket_id);
    assert.equal(reqs[0].contentType, 'application/x-www-form-urlencoded');
    const got = nextEvent(ch, 'shipped');
    await ctx.sdk.trigger('private-orders.1', 'shipped', { id: 1 });
    assert.deepEqual((await got)[0], { id: 1 });
  });

  test('auth endpoint 403 → pusher:subscription_error {type:AuthError,status:403}', T, async () => {
    const c = ctx.client();
    await connected(c);
    const ch = c.subscribe('private-denied.1');
    const succeeded = record(ch, 'pusher:subscription_succeeded');
    const [err] = await nextEvent(ch, 'pusher:subscription_error');
    assert.equal(err.type, 'AuthError');
    assert.equal(err.status, 403);
    assert.equal(succeeded.length, 0);
    assert.equal(ch.subscribed, false);
  });

  test('forged signature → server sends channel-scoped pusher:subscription_error (401)', T, async () => {
    const c = ctx.client();
    await connected(c);
    const ch = c.subscribe('private-forged.1');
    const succeeded = record(ch, 'pusher:subscription_succeeded');
    const [err] = await nextEvent(ch, 'pusher:subscription_error');
    // The auth endpoint answered 200; the refusal came from the server.
    assert.equal(ctx.auth.forChannel('private-forged.1')[0]?.status, 200);
    assert.equal(err.type, 'AuthError', `frame data: ${JSON.stringify(err)}`);
    assert.equal(err.status, 401, `frame data: ${JSON.stringify(err)}`);
    assert.equal(typeof err.error, 'string');
    assert.equal(succeeded.length, 0);
    assert.equal(ch.subscribed, false);
    // The connection stays usable.
    assert.equal(c.connection.state, 'connected');
    await subscribe(c, 'after-forged');
    const info = await (await ctx.sdk.get({ path: '/channels/private-forged.1' })).json();
    assert.equal(info.occupied, false, `channel must not be occupied: ${JSON.stringify(info)}`);
  });

  test('presence: members deduplicated per user, member_added/removed per user', T, async () => {
    const channel = 'presence-room.1';
    const obs = ctx.client({ user: { id: 'o', name: 'Observer' } });
    const u1a = ctx.client({ user: { id: '1', name: 'Alice' } });
    const u1b = ctx.client({ user: { id: '1', name: 'Alice' } });
    const u2 = ctx.client({ user: { id: '2', name: 'Bob' } });

    const chObs = await subscribe(obs, channel);
    assert.equal(chObs.members.count, 1);
    assert.equal(chObs.members.me.id, 'o');
    assert.deepEqual(chObs.members.me.info, { name: 'Observer' });
    const added = record(chObs, 'pusher:member_added');
    const removed = record(chObs, 'pusher:member_removed');

    await subscribe(u1a, channel);
    await added.wait(1);
    assert.deepEqual(added[0].data, { id: '1', info: { name: 'Alice' } });

    const ch1b = await subscribe(u1b, channel);
    assert.equal(ch1b.members.count, 2, 'same user twice counts once');
    const ids1b = [];
    ch1b.members.each((m) => ids1b.push(m.id));
    assert.deepEqual(ids1b.sort(), ['1', 'o']);

    const ch2 = await subscribe(u2, channel);
    assert.equal(ch2.members.count, 3);
    assert.deepEqual(ch2.members.get('1').info, { name: 'Alice' });
    // member_added for user 2 is ordered after any (wrong) second member_added for user 1.
    await added.wait(2);
    assert.deepEqual(added.map((e) => e.data.id), ['1', '2']);
    assert.equal(chObs.members.count, 3);

    const users = await (await ctx.sdk.get({ path: `/channels/${channel}/users` })).json();
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['1', '2', 'o']);
    const info = await (await ctx.sdk.get({ path: `/channels/${channel}`, params: { info: 'user_count' } })).json();
    assert.equal(info.occupied, true);
    assert.equal(info.user_count, 3);

    // Alice's second connection leaves: she is still present.
    u1b.disconnect();
    await sleep(400);
    // Bob leaves: member_removed for 2 (and nothing before it for 1).
    u2.disconnect();
    await removed.wait(1);
    assert.deepEqual(removed.map((e) => e.data.id), ['2']);
    assert.equal(chObs.members.count, 2);
    // Alice's last connection leaves.
    u1a.disconnect();
    await removed.wait(2);
    assert.deepEqual(removed.map((e) => e.data), [{ id: '2', info: { name: 'Bob' } }, { id: '1', info: { name: 'Alice' } }]);
    assert.equal(chObs.members.count, 1);
    assert.equal(added.length, 2);
  });

  test('client events: delivered to others, never echoed, only on private/presence', T, async () => {
    const a = ctx.client();
    const b = ctx.client();
    const aPriv = await subscribe(a, 'private-chat.1');
    const bPriv = await subscribe(b, 'private-chat.1');
    const aPub = await subscribe(a, 'lobby');
    const bPub = await subscribe(b, 'lobby');
    const aGot = record(aPriv, 'client-typing');
    const bGot = record(bPriv, 'client-typing');
    const bPubGot = record(bPub, 'client-public');

    assert.equal(aPriv.trigger('client-typing', { user: 'alice', n: 1 }), true);
    await bGot.wait(1);
    assert.deepEqual(bGot[0].data, { user: 'alice', n: 1 });

    // b answers only after it saw a's event, so a wrong echo to a would arrive before b's reply.
    bPriv.trigger('client-typing', { user: 'bob', n: 2 });
    await aGot.wait(1);
    assert.deepEqual(aGot.map((e) => e.data), [{ user: 'bob', n: 2 }]);

    // Public channel: must be rejected. a then sends on the private channel; b receiving that
    // second event proves the first was processed (frames of one connection are ordered).
    aPub.trigger('client-public', { nope: true });
    aPriv.trigger('client-typing', { user: 'alice', n: 3 });
    await bGot.wait(2);
    assert.deepEqual(bGot[1].data, { user: 'alice', n: 3 });
    assert.equal(bPubGot.length, 0, `client event on a public channel was relayed: ${JSON.stringify(bPubGot)}`);
    assert.equal(aPub.subscribed && bPub.subscribed, true);
  });

  test('client events on presence carry the sender user_id as metadata', T, async () => {
    const channel = 'presence-chat.7';
    const a = ctx.client({ user: { id: '11', name: 'Ann' } });
    const b = ctx.client({ user: { id: '22', name: 'Ben' } });
    const cha = await subscribe(a, channel);
    const chb = await subscribe(b, channel);
    const bGot = record(chb, 'client-msg');
    const aGot = record(cha, 'client-msg');
    cha.trigger('client-msg', { text: 'hi' });
    await bGot.wait(1);
    assert.deepEqual(bGot[0].data, { text: 'hi' });
    assert.equal(bGot[0].metadata?.user_id, '11');
    chb.trigger('client-msg', { text: 'yo' });
    await aGot.wait(1);
    assert.deepEqual(aGot.map((e) => [e.data, e.metadata?.user_id]), [[{ text: 'yo' }, '22']]);
  });

  test('unknown app key → error 4001, refused, no reconnect loop', T, async () => {
    const c = ctx.client({ key: 'no-such-key' });
    const states = [];
    c.connection.bind('state_change', ({ current }) => states.push(current));
    const errors = record(c.connection, 'error');
    await until(() => errors.some((e) => errorCode(e.data) === 4001), `error 4001 (errors: ${JSON.stringify(errors)})`);
    // Give a retry loop the chance to show itself (pusher-js backoff is 1 s).
    await sleep(1500);
    assert.ok(!['connected', 'connecting'].includes(c.connection.state), `state ${c.connection.state}, history ${states}`);
    // pusher-js is already 'connecting' when the constructor returns: any later 'connecting' is a retry.
    assert.equal(states.filter((s) => s === 'connecting').length, 0, `state history: ${states}`);
    assert.equal(c.connection.state, 'disconnected', 'pusher-js treats 4001 as "refused" and disconnects');
    assert.equal(states.includes('connected'), false);
  });

  test('HTTP API: /channels, /channels/{c}?info=subscription_count, /users', T, async () => {
    const a = ctx.client({ user: { id: 'u1', name: 'One' } });
    const b = ctx.client({ user: { id: 'u2', name: 'Two' } });
    await subscribe(a, 'api-pub');
    await subscribe(b, 'api-pub');
    await subscribe(a, 'private-api');
    await subscribe(a, 'presence-api');
    await subscribe(b, 'presence-api');

    const all = await ctx.sdk.get({ path: '/channels' });
    assert.equal(all.status, 200);
    const allBody = await all.json();
    for (const name of ['api-pub', 'private-api', 'presence-api']) {
      assert.ok(name in allBody.channels, `${name} missing from ${JSON.stringify(allBody)}`);
    }
    const filtered = await (await ctx.sdk.get({ path: '/channels', params: { filter_by_prefix: 'api-' } })).json();
    assert.deepEqual(filtered, { channels: { 'api-pub': {} } });
    const pres = await (
      await ctx.sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-api', info: 'user_count' } })
    ).json();
    assert.deepEqual(pres, { channels: { 'presence-api': { user_count: 2 } } });
    const none = await (await ctx.sdk.get({ path: '/channels', params: { filter_by_prefix: 'zzz-' } })).json();
    assert.deepEqual(none, { channels: {} });

    const one = await (await ctx.sdk.get({ path: '/channels/api-pub', params: { info: 'subscription_count' } })).json();
    assert.deepEqual(one, { occupied: true, subscription_count: 2 });
    const empty = await (await ctx.sdk.get({ path: '/channels/nobody-here' })).json();
    assert.equal(empty.occupied, false);

    const users = await (await ctx.sdk.get({ path: '/channels/presence-api/users' })).json();
    assert.deepEqual(
      users.users.sort((x, y) => x.id.localeCompare(y.id)),
      [{ id: 'u1' }, { id: 'u2' }],
    );
    await assert.rejects(ctx.sdk.get({ path: '/channels/api-pub/users' }), (e) => e.status === 400);
    await assert.rejects(ctx.sdk.get({ path: '/channels/api-pub', params: { info: 'user_count' } }), (e) => e.status === 400);
  });

  test('triggerBatch delivers each event to its channel', T, async () => {
    const c = ctx.client();
    const one = await subscribe(c, 'batch-1');
    const two = await subscribe(c, 'batch-2');
    const got1 = nextEvent(one, 'b-ev');
    const got2 = nextEvent(two, 'b-ev2');
    const res = await ctx.sdk.triggerBatch([
      { channel: 'batch-1', name: 'b-ev', data: { i: 1 } },
      { channel: 'batch-2', name: 'b-ev2', data: JSON.stringify({ i: 2 }) },
    ]);
    assert.equal(res.status, 200);
    assert.equal(typeof (await res.json()), 'object');
    assert.deepEqual((await got1)[0], { i: 1 });
    assert.deepEqual((await got2)[0], { i: 2 });
  });

  test('trigger returns 200 with a JSON body; info returns channel attributes', T, async () => {
    const c = ctx.client();
    await subscribe(c, 'info-pub');
    const res = await ctx.sdk.trigger('info-pub', 'x', { a: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    const withInfo = await ctx.sdk.trigger(['info-pub'], 'x', { a: 2 }, { info: 'subscription_count' });
    assert.deepEqual(await withInfo.json(), { channels: { 'info-pub': { subscription_count: 1 } } });
  });

  test('wrong secret / wrong key → 401', T, async () => {
    const bad = serverSdk(ctx.server, { ...APP, secret: 'not-the-secret' });
    await assert.rejects(bad.trigger('news', 'x', {}), (e) => {
      assert.equal(e.status, 401, `got ${e.status} ${e.body}`);
      return true;
    });
    await assert.rejects(bad.get({ path: '/channels' }), (e) => e.status === 401);
    const badKey = serverSdk(ctx.server, { ...APP, key: 'other-key' });
    await assert.rejects(badKey.get({ path: '/channels' }), (e) => e.status === 401);
    // The right credentials still work.
    const ok = await ctx.sdk.get({ path: '/channels' });
    assert.equal(ok.status, 200);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM closes clients with 4200 and exits 0', T, async () => {
    const server = await startServer();
    const client = clientFactory(server, null);
    try {
      const c = client();
      await connected(c);
      const errors = record(c.connection, 'error');
      const result = await server.stop(WAIT + 5000);
      await until(() => errors.some((e) => errorCode(e.data) === 4200), `close 4200 (errors: ${JSON.stringify(errors)})`);
      // pusher-js reconnects at once after 4200; let those attempts fail against the closed port.
      await sleep(300);
      assert.equal(result.killed, undefined, 'resso had to be SIGKILLed');
      assert.equal(result.code, 0, `exit ${JSON.stringify(result)}`);
    } finally {
      await client.closeAll();
      await server.stop();
    }
  });
});
