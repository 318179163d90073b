// pusher-js clients on two resso nodes linked through a real redis-server: what a browser behind a
// load balancer sees must be what it sees on one node.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { startRedis } from './broker.js';
import {
  DEFAULT_CONFIG,
  clientFactory,
  connected,
  nextEvent,
  record,
  serverSdk,
  sleep,
  startAuthServer,
  startServer,
  subscribe,
  subscriptionCount,
  until,
} from './support.js';

const T = { timeout: 30_000 };

const clusterConfig = (url) => `${DEFAULT_CONFIG}
[cluster]
backend = "redis"
url = "${url}"
prefix = "compat-"
heartbeat_ms = 200
node_timeout_ms = 1000
`;

/** The user ids `sdk` lists in `channel`. */
async function users(sdk, channel) {
  const res = await sdk.get({ path: `/channels/${channel}/users` });
  const body = await res.json();
  return body.users.map((u) => u.id).sort();
}

/** The channels `sdk` lists whose names start with `prefix`. */
async function channels(sdk, prefix) {
  // Not filter_by_prefix: the SDK puts query values unencoded in the URL, so a '#' would cut it.
  const res = await sdk.get({ path: '/channels' });
  return Object.keys((await res.json()).channels)
    .filter((c) => c.startsWith(prefix))
    .sort();
}

describe('pusher-js on a two-node cluster (Redis)', () => {
  let redis;
  let nodes;
  let auth;
  let sdks;
  let clients;

  before(async () => {
    redis = await startRedis();
    const config = clusterConfig(redis.url);
    nodes = [await startServer({ config }), await startServer({ config })];
    auth = await startAuthServer();
    sdks = nodes.map((n) => serverSdk(n));
    clients = nodes.map((n) => clientFactory(n, auth));
    // Wait until each node sees a channel subscribed on the other: the link is up both ways.
    const probes = [clients[0](), clients[1]()];
    await subscribe(probes[0], 'probe-a');
    await subscribe(probes[1], 'probe-b');
    for (const sdk of sdks) {
      await until(async () => (await channels(sdk, 'probe-')).length === 2, 'both nodes to see both probes');
    }
  });
  afterEach(async () => {
    for (const make of clients) await make.closeAll();
  });
  after(async () => {
    for (const make of clients ?? []) await make.closeAll();
    await auth?.close();
    for (const n of nodes ?? []) await n.stop();
    await redis?.stop();
  });

  test('an event published on one node reaches subscribers on both, once, honouring socket_id', T, async () => {
    const [a, b, excluded] = [clients[0](), clients[1](), clients[1]()];
    const chans = [await subscribe(a, 'orders'), await subscribe(b, 'orders'), await subscribe(excluded, 'orders')];
    await subscriptionCount(sdks[0], 'orders', 3, 'node 1 to count all three subscriptions');
    const seen = chans.map((ch) => record(ch, 'shipped'));
    await sdks[0].trigger('orders', 'shipped', { id: 1 }, { socket_id: excluded.connection.socket_id });
    await seen[0].wait(1);
    await seen[1].wait(1);
    await sleep(200);
    assert.deepEqual(seen[1][0].data, { id: 1 });
    assert.deepEqual(seen.map((s) => s.length), [1, 1, 0]);
  });

  test('presence members on both nodes: one list, member_added/removed once, /users from either node', T, async () => {
    const alice = clients[0]({ user: { id: 'alice', name: 'Alice' } });
    const bob = clients[1]({ user: { id: 'bob', name: 'Bob' } });
    const aliceCh = await subscribe(alice, 'presence-room');
    const added = record(aliceCh, 'pusher:member_added');
    const removed = record(aliceCh, 'pusher:member_removed');
    await until(async () => (await users(sdks[1], 'presence-room')).length === 1, 'node 2 to list alice');

    const bobCh = await subscribe(bob, 'presence-room');
    assert.equal(bobCh.members.count, 2);
    assert.deepEqual(bobCh.members.get('alice').info, { name: 'Alice' });
    await added.wait(1, 'member_added for bob on node 1');
    assert.equal(added[0].data.id, 'bob');
    for (const sdk of sdks) {
      await until(async () => (await users(sdk, 'presence-room')).join() === 'alice,bob', 'both users on every node');
    }

    // A second connection of bob's, on the other node, adds no member.
    const bob2 = clients[0]({ user: { id: 'bob', name: 'Bob' } });
    const bob2Ch = await subscribe(bob2, 'presence-room');
    assert.equal(bob2Ch.members.count, 2);
    bob.disconnect();
    await sleep(300);
    assert.equal(removed.length, 0, 'bob is still there through his other connection');
    bob2.disconnect();
    await removed.wait(1, 'member_removed for bob after his last connection');
    assert.equal(removed[0].data.id, 'bob');
    await sleep(200);
    assert.equal(added.length, 1);
    assert.equal(removed.length, 1);
  });

  test('client events cross nodes once and are not echoed', T, async () => {
    const a = clients[0]();
    const b = clients[1]();
    const chA = await subscribe(a, 'private-chat');
    const chB = await subscribe(b, 'private-chat');
    await until(async () => (await channels(sdks[0], 'private-chat')).length === 1, 'the channel on node 1');
    await subscriptionCount(sdks[0], 'private-chat', 2, 'node 1 to count both subscribers');
    const gotA = record(chA, 'client-typing');
    const gotB = record(chB, 'client-typing');
    assert.ok(chA.trigger('client-typing', { who: 'a' }));
    await gotB.wait(1);
    await sleep(200);
    assert.deepEqual(gotB[0].data, { who: 'a' });
    assert.equal(gotB.length, 1);
    assert.equal(gotA.length, 0);
  });

  test('sendToUser on one node reaches the user signed in on the other', T, async () => {
    const u = clients[1]({ user: { id: 'carol' } });
    await connected(u);
    u.signin();
    await until(() => u.user.serverToUserChannel?.subscribed, 'carol’s #server-to-user channel');
    await until(
      async () => (await channels(sdks[0], '#server-to-user-')).includes('#server-to-user-carol'),
      'node 1 to see carol’s channel',
    );
    const got = nextEvent(u.user, 'hello');
    await sdks[0].sendToUser('carol', 'hello', { from: 'node 1' });
    const [data] = await got;
    assert.deepEqual(data, { from: 'node 1' });
  });
});
