// Shared helpers for the compat tests: start/stop the real `resso` binary, a real HTTP auth
// endpoint backed by the `pusher` server SDK, pusher-js client factories, and bounded waits.
//
// Every wait in here has a timeout, so a misbehaving server makes a test fail, never hang.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import Pusher from 'pusher-js';
import PusherSDK from 'pusher';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const RESSO_BIN = process.env.RESSO_BIN || path.join(REPO_ROOT, 'target', 'debug', 'resso');

/** Default bound for any single wait, in ms. */
export const WAIT = 5000;
export const HOST = '127.0.0.1';

export const APP = Object.freeze({ id: 'app-id', key: 'app-key', secret: 'app-secret' });
export const PY_APP = Object.freeze({ id: '123', key: 'py-key', secret: 'py-secret' });

export const DEFAULT_CONFIG = `
[server]
activity_timeout = 120

[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"
client_events = true

[[apps]]
id = "${PY_APP.id}"
key = "${PY_APP.key}"
secret = "${PY_APP.secret}"
`;

// ---------------------------------------------------------------------------------------------
// Small async utilities
// ---------------------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a descriptive error if `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `predicate` (sync or async) until truthy; fails after `ms`. */
export async function until(predicate, what, ms = WAIT, every = 20) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await predicate();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Waits until `sdk`'s server counts `n` subscriptions on `channel` (the HTTP API's `subscription_count`). */
export function subscriptionCount(sdk, channel, n, what = `${n} subscriptions on ${channel}`) {
  return until(async () => {
    const res = await sdk.get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } });
    return (await res.json()).subscription_count === n;
  }, what);
}

// ---------------------------------------------------------------------------------------------
// The resso server process
// ---------------------------------------------------------------------------------------------

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

/**
 * Starts `resso --config FILE --port 0` and resolves once it printed its listening line.
 * The child gets SIGKILL if this test process dies (setpriv --pdeathsig), on process exit, and
 * from `stop()`.
 */
export async function startServer({ config = DEFAULT_CONFIG } = {}) {
  if (!existsSync(RESSO_BIN)) {
    throw new Error(
      `resso binary not found at ${RESSO_BIN}; build it with ` +
        '`cargo build -p resso-server --bin resso` or set RESSO_BIN',
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resso-compat-'));
  const configPath = path.join(dir, 'resso.toml');
  writeFileSync(configPath, config);

  // Environment overrides (RESSO_PORT, REVERB_APP_KEY, ...) would change what we test.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(RESSO_|REVERB_)/.test(k) && k !== 'RESSO_LOG') continue;
    env[k] = v;
  }
  env.RESSO_LOG ??= 'warn';

  const args = ['--config', configPath, '--port', '0'];
  const child = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', RESSO_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(RESSO_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  let port;
  try {
    port = await withTimeout(
      new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
          stdout += d;
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
          if (m) resolve(Number(m[1]));
        });
        child.on('error', reject);
        exited.then(({ code, signal }) =>
          reject(new Error(`resso exited early (code ${code}, signal ${signal})\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
        );
      }),
      10_000,
      'resso to print "listening on http://127.0.0.1:PORT"',
    );
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  let stopped;
  return {
    port,
    host: HOST,
    baseUrl: `http://${HOST}:${port}`,
    child,
    exited,
    logs: () => ({ stdout, stderr }),
    /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves to {code, signal}. */
    stop(graceMs = 5000) {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        let result;
        try {
          result = await withTimeout(exited, graceMs, 'resso to exit after SIGTERM');
        } catch {
          child.kill('SIGKILL');
          result = { ...(await exited), killed: true };
        }
        rmSync(dir, { recursive: true, force: true });
        return result;
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server SDK (npm `pusher`)
// ---------------------------------------------------------------------------------------------

export function serverSdk(server, app = APP, overrides = {}) {
  return new PusherSDK({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: HOST,
    port: String(server.port),
    useTLS: false,
    timeout: WAIT,
    ...overrides,
  });
}

// ---------------------------------------------------------------------------------------------
// A real HTTP auth endpoint (what Laravel's /broadcasting/auth does), signing with the SDK.
//
// Channel-name conventions:
//   * contains "denied"  → 403 (the app refuses; pusher-js raises the subscription error itself)
//   * contains "forged"  → 200 with a signature made with the WRONG secret (the server must refuse)
//   * presence-*         → channel_data {user_id, user_info:{name}} from the request params
//                          `user_id` / `user_name` (sent by each client via auth params)
//   * private-encrypted-* → also a `shared_secret` derived from ENCRYPTION_MASTER_KEY
// The same server answers pusher-js's user authentication (`pusher.signin()`, what Laravel's
// /broadcasting/user-auth does) at `userUrl`: user_data {id, name, watchlist?} from the params
// `user_id` / `user_name` / `watchlist` (comma-separated); no `user_id` → 403.
// ---------------------------------------------------------------------------------------------

/** The master key the auth endpoint derives encrypted channels' shared secrets from. */
export const ENCRYPTION_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

function userData(params) {
  const user = { id: params.user_id, user_info: { name: params.user_name ?? params.user_id } };
  if (params.watchlist) user.watchlist = params.watchlist.split(',');
  return user;
}

/** An HTTP request listener that hands `handler(req, res, body)` the whole body as text. */
export function withBody(handler) {
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => handler(req, res, body));
  };
}

export async function startAuthServer(app = APP) {
  const signer = new PusherSDK({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    encryptionMasterKeyBase64: ENCRYPTION_MASTER_KEY,
  });
  const forger = new PusherSDK({ appId: app.id, key: app.key, secret: `${app.secret}-WRONG` });
  const requests = [];

  const srv = http.createServer(
    withBody((req, res, body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const record = {
        method: req.method,
        path: req.url,
        contentType: req.headers['content-type'],
        params,
        status: 0,
        response: null,
      };
      requests.push(record);
      const reply = (status, payload) => {
        record.status = status;
        record.response = payload;
        res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
        res.end(status === 200 ? JSON.stringify(payload) : String(payload));
      };
      try {
        const { socket_id: socketId, channel_name: channel } = params;
        if (req.method === 'POST' && req.url === '/broadcasting/user-auth' && socketId) {
          if (!params.user_id) return reply(403, 'no user');
          return reply(200, signer.authenticateUser(socketId, userData(params)));
        }
        if (req.method !== 'POST' || !socketId || !channel) return reply(400, 'socket_id and channel_name required');
        if (channel.includes('denied')) return reply(403, 'Forbidden');
        const sdk = channel.includes('forged') ? forger : signer;
        if (channel.startsWith('presence-')) {
          if (!params.user_id) return reply(403, 'no user');
          const presenceData = { user_id: params.user_id, user_info: { name: params.user_name ?? params.user_id } };
          return reply(200, sdk.authorizeChannel(socketId, channel, presenceData));
        }
        return reply(200, sdk.authorizeChannel(socketId, channel));
      } catch (e) {
        return reply(500, String(e?.stack ?? e));
      }
    }),
  );
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, HOST, resolve);
  });
  const { port } = srv.address();
  return {
    url: `http://${HOST}:${port}/broadcasting/auth`,
    userUrl: `http://${HOST}:${port}/broadcasting/user-auth`,
    requests,
    /** The auth requests made for one channel. */
    forChannel: (channel) => requests.filter((r) => r.params.channel_name === channel),
    close: () =>
      new Promise((resolve) => {
        srv.closeAllConnections?.();
        srv.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// pusher-js clients
// ---------------------------------------------------------------------------------------------

/** Options every pusher-js/Echo client uses to reach the local server over plain ws. */
export function wsOptions(server) {
  return {
    wsHost: HOST,
    wsPort: server.port,
    wssPort: server.port,
    httpHost: HOST, // never fall back to *.pusher.com for anything
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    cluster: '',
  };
}

/**
 * Returns a factory of pusher-js clients that are all disconnected by `closeAll()`.
 * `user` ({id, name, watchlist?}) is sent to the auth endpoints as params user_id / user_name /
 * watchlist (comma-separated).
 */
export function clientFactory(server, auth, app = APP) {
  const clients = new Set();
  const make = ({ key = app.key, user, options = {} } = {}) => {
    const params = user ? { user_id: user.id, user_name: user.name } : {};
    if (user?.watchlist) params.watchlist = user.watchlist.join(',');
    const client = new Pusher(key, {
      ...wsOptions(server),
      channelAuthorization: { endpoint: auth?.url ?? 'http://127.0.0.1:9/unused', transport: 'ajax', params },
      userAuthentication: { endpoint: auth?.userUrl ?? 'http://127.0.0.1:9/unused', transport: 'ajax', params },
      ...options,
    });
    clients.add(client);
    return client;
  };
  make.closeAll = async () => {
    const list = [...clients];
    clients.clear();
    const down = (c) => {
      try {
        c.disconnect();
      } catch {
        /* ignore */
      }
    };
    list.forEach(down);
    // pusher-js can start connecting again from the callback of an attempt that was in flight
    // when disconnect() ran (e.g. right after a 4200 close); make sure every client stays down,
    // or its timers keep the test process alive.
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      for (const c of list) {
        const m = c.connection;
        if (m.state !== 'disconnected' || m.runner || m.retryTimer?.isRunning?.()) down(c);
      }
    }
  };
  return make;
}

/** Waits for a pusher-js client (or Echo's pusher) to reach state `connected`. */
export function connected(client, ms = WAIT) {
  if (client.connection.state === 'connected') return Promise.resolve(client.connection.socket_id);
  return withTimeout(
    new Promise((resolve, reject) => {
      const onState = ({ current }) => {
        if (current === 'connected') {
          client.connection.unbind('state_change', onState);
          resolve(client.connection.socket_id);
        } else if (current === 'failed') {
          client.connection.unbind('state_change', onState);
          reject(new Error('connection failed'));
        }
      };
      client.connection.bind('state_change', onState);
    }),
    ms,
    `pusher-js to connect (state is ${client.connection.state})`,
  );
}

/**
 * Resolves with the args of the first `event` emitted by `target` (anything with bind/unbind:
 * a channel, a connection) for which `filter(...args)` is true.
 */
export function nextEvent(target, event, { filter = () => true, ms = WAIT } = {}) {
  let handler;
  return withTimeout(
    new Promise((resolve) => {
      handler = (...args) => {
        if (filter(...args)) {
          target.unbind(event, handler);
          resolve(args);
        }
      };
      target.bind(event, handler);
    }),
    ms,
    `event ${JSON.stringify(event)}`,
  ).finally(() => target.unbind(event, handler));
}

/** Records every `event` on `target`; `wait(n)` resolves when at least n were seen. */
export function record(target, event) {
  const seen = [];
  target.bind(event, (data, metadata) => seen.push({ data, metadata }));
  seen.wait = (n, what = `${n} x ${event}`, ms = WAIT) =>
    until(() => seen.length >= n, `${what} (got ${seen.length}: ${JSON.stringify(seen)})`, ms).then(() => seen);
  return seen;
}

/**
 * Subscribes and resolves with the `pusher:subscription_succeeded` payload; rejects with the
 * error payload on `pusher:subscription_error`.
 */
export async function subscribe(client, name, ms = WAIT) {
  await connected(client, ms);
  const channel = client.subscribe(name);
  const result = await withTimeout(
    new Promise((resolve) => {
      channel.bind('pusher:subscription_succeeded', (data) => resolve({ ok: true, data }));
      channel.bind('pusher:subscription_error', (err) => resolve({ ok: false, err }));
    }),
    ms,
    `subscription to ${name}`,
  );
  if (!result.ok) throw new Error(`subscription to ${name} failed: ${JSON.stringify(result.err)}`);
  return channel;
}

/** The error code in a pusher-js connection `error` event, whatever wrapper it came in. */
export function errorCode(err) {
  return err?.data?.code ?? err?.error?.data?.code ?? err?.error?.code ?? null;
}

/**
 * Registers the usual suite hooks: a resso server, an auth endpoint and an SDK for the suite, every
 * pusher-js client closed after each test. Returns the context, filled in once `before` ran.
 */
export function withServer({ sdkOptions = {}, config } = {}) {
  const ctx = {};
  before(async () => {
    ctx.server = await startServer(config ? { config } : {});
    ctx.auth = await startAuthServer();
    ctx.sdk = serverSdk(ctx.server, APP, sdkOptions);
    ctx.client = clientFactory(ctx.server, ctx.auth);
  });
  afterEach(() => ctx.client.closeAll());
  after(async () => {
    await ctx.client?.closeAll();
    await ctx.auth?.close();
    await ctx.server?.stop();
  });
  return ctx;
}
