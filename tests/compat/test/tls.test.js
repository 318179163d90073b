// TLS on Ressò's own port ([server.tls]) with the real client packages, each verifying the
// certificate against a CA made for the run with the openssl CLI: pusher-js and Laravel Echo (pusher
// connector) with `forceTLS: true` and the `pusher` Node SDK with `useTLS: true` — run in a child
// Node process that trusts the CA through NODE_EXTRA_CA_CERTS, as a deployment would — and
// socket.io-client over wss (given the CA as `ca`). A plain port beside the TLS one serves ws://.
// socket.io-client refuses the certificate when it does not trust the CA (the Rust tests refuse
// expired and wrong-host certificates too).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { io } from 'socket.io-client';

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

const T = { timeout: 30_000 };
const COMPAT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it, in `dir`. */
function makeCertificates(dir) {
  const at = (name) => path.join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=Resso compat test CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', at('key.pem'), '-out', at('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(at('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'),
    '-CAcreateserial', '-out', at('cert.pem'), '-days', '2', '-extfile', at('san.ext'));
  return { ca: at('ca.pem'), cert: at('cert.pem'), key: at('key.pem') };
}

const config = (files) => `
[server.tls]
cert = "${files.cert}"
key = "${files.key}"
plain_port = 0

[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"
client_events = true

[apps.socketio]
`;

/**
 * Runs `source` (an ES module) in a child Node process from the compat directory, trusting the CA
 * `ca`; resolves with the JSON the child prints on its last line.
 */
function runChild(source, { ca, env = {} }) {
  const childEnv = { ...process.env, ...env, NODE_EXTRA_CA_CERTS: ca };
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: COMPAT_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`child exited ${code} without a result\nstdout: ${out}\nstderr: ${err}`));
      }
    });
  });
  return withTimeout(done, 20_000, 'the child client').finally(() => child.kill('SIGKILL'));
}

/** The child's program: connects with pusher-js or Echo over wss, has the SDK publish over https. */
const PUSHER_CHILD = `
import Pusher from 'pusher-js';
import PusherSDK from 'pusher';
import Echo from 'laravel-echo';
const { PORT, KEY, ID, SECRET, VIA } = process.env;
const done = (result) => { console.log(JSON.stringify(result)); process.exit(0); };
setTimeout(() => done({ error: 'timed out', state }), 8000);
let state = 'new';
const options = {
  wsHost: 'localhost', wssPort: Number(PORT), wsPort: 1, httpHost: 'localhost',
  forceTLS: true, enabledTransports: ['ws', 'wss'], disableStats: true, cluster: 'mt1',
};
const sdk = new PusherSDK({ appId: ID, key: KEY, secret: SECRET, host: 'localhost', port: PORT, useTLS: true });
const publish = () => sdk.trigger('orders', 'shipped', { id: 7 }).catch((e) => done({ error: String(e) }));
let pusher;
if (VIA === 'echo') {
  const echo = new Echo({ broadcaster: 'pusher', key: KEY, Pusher, ...options });
  pusher = echo.connector.pusher;
  echo.channel('orders').subscribed(publish).listen('.shipped', (e) => done({ got: e, state, via: 'echo' }));
} else {
  pusher = new Pusher(KEY, options);
  const channel = pusher.subscribe('orders');
  channel.bind('pusher:subscription_succeeded', publish);
  channel.bind('shipped', (e) => done({ got: e, state, via: 'pusher-js' }));
}
pusher.connection.bind('state_change', ({ current }) => { state = current; });
`;

describe('TLS on the server port', () => {
  let dir;
  let files;
  let server;
  let tlsPort;
  let sdk;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'resso-tls-'));
    files = makeCertificates(dir);
    server = await startServer({ config: config(files) });
    // startServer reads the first "listening on http://" line: with TLS that is the plain port;
    // the TLS port is on the https:// line before it.
    const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(server.logs().stdout);
    assert.ok(m, `an https:// line in ${server.logs().stdout}`);
    tlsPort = Number(m[1]);
    assert.notEqual(tlsPort, server.port);
    const agent = new https.Agent({ ca: readFileSync(files.ca) });
    sdk = serverSdk(server, APP, { host: 'localhost', port: String(tlsPort), useTLS: true, agent });
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ PORT: String(tlsPort), KEY: APP.key, ID: APP.id, SECRET: APP.secret });

  test('pusher-js with forceTLS gets an event the Node SDK published with useTLS', T, async () => {
    const result = await runChild(PUSHER_CHILD, { ca: files.ca, env: { ...env(), VIA: 'pusher-js' } });
    assert.deepEqual(result, { got: { id: 7 }, state: 'connected', via: 'pusher-js' });
  });

  test('Laravel Echo (pusher connector) with forceTLS gets the event', T, async () => {
    const result = await runChild(PUSHER_CHILD, { ca: files.ca, env: { ...env(), VIA: 'echo' } });
    assert.deepEqual(result, { got: { id: 7 }, state: 'connected', via: 'echo' });
  });

  test('socket.io-client over wss gets the event; without the CA it is refused', T, async () => {
    const ca = readFileSync(files.ca);
    const echo = new Echo({
      broadcaster: 'socket.io',
      client: io,
      host: `https://localhost:${tlsPort}`,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ca,
    });
    try {
      const socket = echo.connector.socket;
      await withTimeout(
        new Promise((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('connect_error', reject);
        }),
        WAIT,
        'socket.io-client to connect over wss',
      );
      const got = [];
      echo.channel('orders').listen('.shipped', (e) => got.push(e));
      await subscriptionCount(sdk, 'orders', 1, 'the socket.io subscription');
      await sdk.trigger('orders', 'shipped', { id: 8 });
      await until(() => got.length === 1, 'the event over wss');
      assert.deepEqual(got, [{ id: 8 }]);
    } finally {
      echo.disconnect();
    }

    const untrusting = io(`https://localhost:${tlsPort}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      const error = await withTimeout(
        new Promise((resolve, reject) => {
          untrusting.once('connect', () => reject(new Error('connected without trusting the CA')));
          untrusting.once('connect_error', resolve);
        }),
        WAIT,
        'the refusal',
      );
      assert.match(String(error?.description?.message ?? error?.description ?? error), /certificate/i);
    } finally {
      untrusting.close();
    }
  });

  test('the plain port beside it serves ws:// and the HTTP API', T, async () => {
    const plain = new Pusher(APP.key, wsOptions(server));
    try {
      await connected(plain);
      const channel = plain.subscribe('news');
      const got = new Promise((resolve) => channel.bind('flash', resolve));
      await new Promise((resolve) => channel.bind('pusher:subscription_succeeded', resolve));
      await serverSdk(server).trigger('news', 'flash', { ok: true });
      assert.deepEqual(await withTimeout(got, WAIT, 'the event on ws://'), { ok: true });
    } finally {
      plain.disconnect();
    }
  });
});
