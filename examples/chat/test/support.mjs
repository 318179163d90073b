// The processes the chat test runs: a real `resso` on a free port with one app, and the built
// chat app pointed at it by the environment a Laravel app would have (BROADCAST_CONNECTION,
// REVERB_*). Both are stopped when the test ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const APP = { id: 'chat-app', key: 'chat-key', secret: 'chat-secret' };
const started = [];

function start(label, command, args, env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (text) => { child.output += text; });
  }
  child.label = label;
  started.push(child);
  return child;
}

/** The first match of `pattern` in the child's output, within 20 s. */
function output(child, pattern) {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = child.output.match(pattern);
      if (match) { clearInterval(timer); resolve(match); }
      if (child.exitCode !== null || Date.now() - t0 > 20_000) {
        clearInterval(timer);
        reject(new Error(`${child.label}: no ${pattern}:\n${child.output}`));
      }
    }, 20);
    const t0 = Date.now();
  });
}

/** Ressò with the chat's app; resolves with its base URL. */
export async function startResso(bin) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-test-'));
  const config = join(dir, 'resso.toml');
  writeFileSync(config, `[[apps]]\nid = "${APP.id}"\nkey = "${APP.key}"\nsecret = "${APP.secret}"\n`);
  const env = { ...process.env, RESSO_LOG: 'warn' };
  const resso = start('resso', bin, ['--config', config, '--port', '0'], env);
  const [, url] = await output(resso, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return url;
}

/** The chat app broadcasting through `resso`; resolves with its base URL. */
export async function startChat(bin, resso) {
  const { hostname, port } = new URL(resso);
  const env = {
    ...process.env,
    PORT: '0',
    BROADCAST_CONNECTION: 'reverb',
    REVERB_APP_ID: APP.id,
    REVERB_APP_KEY: APP.key,
    REVERB_APP_SECRET: APP.secret,
    REVERB_HOST: hostname,
    REVERB_PORT: port,
    REVERB_SCHEME: 'http',
  };
  const chat = start('chat', bin, [], env);
  const [, url] = await output(chat, /open (http:\/\/127\.0\.0\.1:\d+)\//);
  // The start-up line naming the driver: a missing setting would show `null` here.
  await output(chat, /broadcasting through the pusher driver/);
  return url;
}

export async function stopAll() {
  await Promise.all(started.splice(0).map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }));
}
