// The chat example against a real Ressò, with pusher-js (its Node build) as the browser's stand-in:
// two users sign in, join the lobby's presence channel and see each other; a message reaches the
// other one and not its sender's own connection; a direct message reaches only its recipient's
// private channel; a user cannot subscribe to another user's channel, nor anyone without a token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher-js';
import { startChat, startResso, stopAll } from './support.mjs';
import { VENDORED } from './vendor.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
let app;

before(async () => {
  const resso = await startResso(process.env.RESSO_BIN || join(repo, 'target/debug/resso'));
  app = await startChat(process.env.CHAT_BIN || join(repo, 'target/debug/chat'), resso);
});
after(stopAll);

const clients = [];
after(() => clients.forEach((c) => c.disconnect()));

const post = async (path, body, headers = {}) => fetch(`${app}${path}`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Resolves with the first `event` on `channel` (rejects after 5 s). */
const next = (channel, event) => new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error(`no ${event} on ${channel.name}`)), 5000);
  channel.bind(event, function once(data) {
    clearTimeout(timer);
    channel.unbind(event, once);
    ok(data);
  });
});

/** A user signed in by name, connected with pusher-js the way the page connects. */
async function user(name) {
  const config = await (await fetch(`${app}/config`)).json();
  const { user: me, token } = await (await post('/login', { name })).json();
  const auth = { Authorization: `Bearer ${token}` };
  const pusher = new Pusher(config.key, {
    cluster: '', wsHost: config.wsHost, wsPort: config.wsPort, forceTLS: config.forceTLS,
    enabledTransports: ['ws'],
    channelAuthorization: { endpoint: `${app}/broadcasting/auth`, transport: 'ajax', headers: auth },
  });
  clients.push(pusher);
  const lobby = pusher.subscribe('presence-chat.lobby');
  await next(lobby, 'pusher:subscription_succeeded');
  const inbox = pusher.subscribe(`private-users.${me.id}`);
  await next(inbox, 'pusher:subscription_succeeded');
  return { me, auth, pusher, lobby, inbox };
}

const names = (members) => {
  const all = [];
  members.each((m) => all.push(m.info.name));
  return all.sort();
};

test('the page and the vendored pusher-js are served', async () => {
  const page = await (await fetch(`${app}/`)).text();
  assert.match(page, /<script src="\/pusher.min.js">/);
  for (const [from, to] of VENDORED) {
    const installed = readFileSync(join(here, '../node_modules', from));
    assert.ok(installed.equals(readFileSync(join(here, '../assets/vendor', to))), `run npm run vendor: ${to}`);
  }
  assert.equal((await fetch(`${app}/pusher.min.js`)).status, 200);
  assert.equal((await fetch(`${app}/favicon.ico`)).status, 204);
});

test('who is here, messages to the room and to one user', async () => {
  const ann = await user('Ann');
  const joined = next(ann.lobby, 'pusher:member_added');
  const bob = await user('Bob');
  assert.deepEqual((await joined).info, { name: 'Bob' });
  assert.deepEqual(names(bob.lobby.members), ['Ann', 'Bob']);
  assert.equal(bob.lobby.members.me.id, String(bob.me.id));

  // To the room, leaving out the sender's own connection (X-Socket-ID).
  const heard = next(bob.lobby, 'MessageSent');
  let echoed = false;
  ann.lobby.bind('MessageSent', () => { echoed = true; });
  const sent = await post('/messages', { room: 'lobby', text: 'hello' },
    { ...ann.auth, 'X-Socket-ID': ann.pusher.connection.socket_id });
  assert.equal(sent.status, 202);
  assert.deepEqual(await heard, { from: { id: ann.me.id, name: 'Ann' }, text: 'hello' });

  // To Bob alone, on his private channel; the bare name, since the app has no namespace.
  const direct = next(bob.inbox, 'DirectMessage');
  assert.equal((await post('/direct', { to: bob.me.id, text: 'psst' }, ann.auth)).status, 202);
  assert.deepEqual(await direct, { from: { id: ann.me.id, name: 'Ann' }, text: 'psst' });
  assert.equal(echoed, false, 'the sender heard its own message');

  const left = next(ann.lobby, 'pusher:member_removed');
  bob.pusher.disconnect();
  assert.deepEqual((await left).info, { name: 'Bob' });
});

test('another user\'s channel, an unknown room or no token: refused', async () => {
  const ann = await user('Ann');
  const other = ann.pusher.subscribe(`private-users.${ann.me.id + 1000}`);
  const error = await next(other, 'pusher:subscription_error');
  assert.equal(error.status, 403);
  const nowhere = ann.pusher.subscribe('presence-chat.kitchen');
  assert.equal((await next(nowhere, 'pusher:subscription_error')).status, 403);

  const form = new URLSearchParams({ socket_id: '1.2', channel_name: 'presence-chat.lobby' });
  const guest = await fetch(`${app}/broadcasting/auth`, { method: 'POST', body: form });
  assert.equal(guest.status, 403);
  assert.equal((await post('/messages', { room: 'lobby', text: 'x' })).status, 401);
});
