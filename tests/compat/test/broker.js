// A real `redis-server` on a free loopback port, for the multi-node compat tests.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { HOST } from './support.js';

// Ports from below the kernel's ephemeral range: one from inside it can be taken by an outgoing
// connection's local end before redis-server binds it.
let next = process.pid * 7919;
function candidatePort() {
  next += 104729;
  return 20768 + (next % 12000);
}

function bindable(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

async function freePort() {
  for (;;) {
    const port = candidatePort();
    if (await bindable(port)) return port;
  }
}

/** Spawns redis-server on `port`; resolves to the child once it is ready, or null if it exits. */
function spawnRedis(port, dir) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', () => resolve(null));
  });
}

/** Starts `redis-server` (no persistence) and resolves once it is ready. */
export async function startRedis() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resso-redis-'));
  let port;
  let child = null;
  for (let attempt = 0; !child; attempt += 1) {
    if (attempt === 5) throw new Error('redis-server exited on start five times');
    port = await freePort();
    child = await spawnRedis(port, dir);
  }
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  process.on('exit', () => child.kill('SIGKILL'));
  return {
    url: `redis://${HOST}:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
