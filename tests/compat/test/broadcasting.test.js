// resso-broadcasting (the Rust library) seen by real laravel-echo + pusher-js: events sent by the
// library arrive under the names Echo listens for, encrypted channels are decrypted by pusher-js with
// the shared secret the library's auth route hands out, notifications reach `.notification()`, and
// the auth routes answer Echo's subscriptions (403 for another user's channel).
//
// The Rust side is the `compat_server` example of crates/resso-broadcasting: Ressò in-process plus an
// axum app with the library's routes. Its path can be set with BROADCASTING_COMPAT_BIN.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

import { REPO_ROOT, WAIT, connected, withTimeout } from './support.js';

const BIN = process.env.BROADCASTING_COMPAT_BIN || path.join(REPO_ROOT, 'target', 'debug', 'examples', 'compat_server');
const T = { timeout: 20_000 };

/** Starts the example and reads the ports it prints. */
async function startApp() {
  assert.ok(existsSync(BIN), `${BIN} is missing: cargo build -p resso-broadcasting --example compat_server`);
  const child = spawn(BIN, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ports = await withTimeout(
    new Promise((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk) => {
        text += chunk;
        const line = text.split('\n')[0];
        if (text.includes('\n')) resolve(JSON.parse(line));
      });
      child.on('exit', (code) => reject(new Error(`compat_server exited with ${code}`)));
    }),
    10_000,
    'compat_server to print its ports',
  );
  return { child, ...ports, url: `http://127.0.0.1:${ports.app_port}` };
}

const firstCall = (register, what, ms = WAIT) => withTimeout(new Promise((resolve) => register(resolve)), ms, what);

describe('resso-broadcasting with laravel-echo', () => {
  let app;
  const echos = [];

  const makeEcho = (userId) => {
    const echo = new Echo({
      broadcaster: 'reverb',
      Pusher,
      key: 'app-key',
      wsHost: '127.0.0.1',
      wsPort: app.ws_port,
      wssPort: app.ws_port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      authEndpoint: `${app.url}/broadcasting/auth`,
      auth: { headers: { 'X-User': String(userId) } },
    });
    echos.push(echo);
    return echo;
  };

  const trigger = (kind, id, n = 0, socketId = undefined) =>
    fetch(`${app.url}/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(socketId ? { 'X-Socket-ID': socketId } : {}) },
      body: JSON.stringify({ kind, id, n }),
    }).then((r) => assert.equal(r.status, 200, `trigger ${kind}`));

  before(async () => {
    app = await startApp();
  });
  after(() => {
    for (const e of echos) e.disconnect();
    app?.child.stdin.end();
    app?.child.kill();
  });

  test("a private event reaches .listen('OrderShipped') and skips the sender", T, async () => {
    const echo = makeEcho(5);
    const sender = makeEcho(5);
    await Promise.all([connected(echo.connector.pusher), connected(sender.connector.pusher)]);
    const got = [];
    const senderGot = [];
    const ch = echo.private('orders.5').listen('OrderShipped', (e) => got.push(e));
    const senderCh = sender.private('orders.5').listen('OrderShipped', (e) => senderGot.push(e.n));
    await firstCall((cb) => ch.subscribed(cb), 'subscribed');
    await firstCall((cb) => senderCh.subscribed(cb), 'sender subscribed');
    const until = (ok, what) =>
      withTimeout(new Promise((r) => { const i = setInterval(() => ok() && (clearInterval(i), r()), 10); }), WAIT, what);
    await trigger('order', 5, 1, sender.socketId());
    await until(() => got.length === 1, 'the first event');
    assert.deepEqual(got[0], { order_id: 5, n: 1 });
    // Not excluded: reaches the sender too. Events reach a connection in order, so had the first
    // one reached the sender it would be listed before this one.
    await trigger('order', 5, 2);
    await until(() => senderGot.includes(2), 'the second event at the sender');
    assert.deepEqual(senderGot, [2]);
  });

  test('another user is refused with 403 (.error fires)', T, async () => {
    const echo = makeEcho(6);
    await connected(echo.connector.pusher);
    const err = await firstCall((cb) => echo.private('orders.5').error(cb), 'subscription error');
    assert.equal(err.status, 403, JSON.stringify(err));
  });

  test('an encrypted channel is decrypted by pusher-js', T, async () => {
    const echo = makeEcho(5);
    await connected(echo.connector.pusher);
    const got = new Promise((resolve) => echo.encryptedPrivate('doc.9').listen('.DocSaved', resolve));
    const ch = echo.connector.channels['private-encrypted-doc.9'];
    await firstCall((cb) => ch.subscribed(cb), 'encrypted subscribed');
    await trigger('doc', 9);
    assert.deepEqual(await withTimeout(got, WAIT, 'DocSaved'), { secret: 'plans', doc: 9 });
  });

  test('a notification reaches .notification()', T, async () => {
    const echo = makeEcho(7);
    await connected(echo.connector.pusher);
    const got = new Promise((resolve) => echo.private('App.Models.User.7').notification(resolve));
    await firstCall((cb) => echo.private('App.Models.User.7').subscribed(cb), 'user channel subscribed');
    await trigger('notify', 7);
    const n = await withTimeout(got, WAIT, 'the notification');
    assert.equal(n.type, 'App\\Notifications\\ExportReady');
    assert.equal(n.rows, 3);
    assert.match(n.id, /^[0-9a-f-]{36}$/);
  });

  test('a presence channel lists the member the callback described', T, async () => {
    const echo = makeEcho(8);
    await connected(echo.connector.pusher);
    const here = await firstCall((cb) => echo.join('chat.1').here(cb), 'here');
    assert.deepEqual(here, [{ name: 'user 8' }]);
  });
});
