// Laravel's own `redis` broadcaster, run for real: tests/laravel/broadcast.php publishes through
// Debian's php-laravel-framework into a redis-server, and `ingesting` waits until resso listens.

import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

import { REPO_ROOT, WAIT, until, withTimeout } from './support.js';

const SCRIPT = path.join(REPO_ROOT, 'tests', 'laravel', 'broadcast.php');

/** Runs the PHP script to completion; rejects with its output unless it exits 0. */
export function php(...args) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const child = spawn('php', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`php exited ${code}:\n${out}`))));
    }),
    WAIT * 2,
    'the Laravel script',
  );
}

/** Waits until resso's subscription receives what is published under `prefix`. */
export async function ingesting(port, prefix) {
  const probe = JSON.stringify({ event: 'probe', data: {}, socket: null });
  await until(() => {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'publish', `${prefix}probe`, probe], {
      encoding: 'utf8',
    });
    return r.status === 0 && Number(r.stdout.trim()) >= 1;
  }, `resso subscribed to ${prefix}*`);
}
