// The installed Debian package: scripts/package-test.sh installs it, starts the installed binary
// with the installed config, sets RESSO_PACKAGE_URL to where it listens and runs this file alone
// (and fails if it was skipped). Without RESSO_PACKAGE_URL, as in `npm test`, it is skipped.
//
// RESSO_PACKAGE_APP_ID / _KEY / _SECRET name the app to use; by default the development app that
// the packaged config (no [[apps]]) serves.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Pusher from 'pusher-js';
import PusherSDK from 'pusher';

import { APP, WAIT, nextEvent, startAuthServer, subscribe } from './support.js';

const url = process.env.RESSO_PACKAGE_URL;
const T = { timeout: 20_000 };

describe('installed Debian package', { skip: url ? false : 'RESSO_PACKAGE_URL is not set (scripts/package-test.sh)' }, () => {
  const { hostname, port } = new URL(url ?? 'http://127.0.0.1:0');
  const app = {
    id: process.env.RESSO_PACKAGE_APP_ID ?? APP.id,
    key: process.env.RESSO_PACKAGE_APP_KEY ?? APP.key,
    secret: process.env.RESSO_PACKAGE_APP_SECRET ?? APP.secret,
  };
  const sdk = new PusherSDK({ appId: app.id, key: app.key, secret: app.secret, host: hostname, port, useTLS: false, timeout: WAIT });
  const clients = [];
  let auth;

  const client = () => {
    const c = new Pusher(app.key, {
      wsHost: hostname,
      wsPort: Number(port),
      httpHost: hostname,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      cluster: '',
      channelAuthorization: { endpoint: auth.url, transport: 'ajax' },
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    auth = await startAuthServer(app);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await auth?.close();
  });

  test('GET /up answers 200 {"health":"OK"}', T, async () => {
    const res = await fetch(new URL('/up', url));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { health: 'OK' });
  });

  test('pusher-js subscribes to a public channel and gets an HTTP API publish', T, async () => {
    const ch = await subscribe(client(), 'package-news');
    const got = nextEvent(ch, 'installed');
    await sdk.trigger('package-news', 'installed', { from: 'the installed binary' });
    assert.deepEqual((await got)[0], { from: 'the installed binary' });
  });

  test('a private channel: signed through the auth endpoint with the app secret', T, async () => {
    const ch = await subscribe(client(), 'private-package.1');
    assert.equal(auth.forChannel('private-package.1')[0]?.status, 200);
    const got = nextEvent(ch, 'signed');
    await sdk.trigger('private-package.1', 'signed', { ok: true });
    assert.deepEqual((await got)[0], { ok: true });
  });
});
