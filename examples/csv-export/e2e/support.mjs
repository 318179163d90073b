// Processes for the browser test: a redis-server, an aiosmtpd SMTP server writing a Maildir, and
// the app itself, each on its own port on 127.0.0.1 and stopped when the test ends.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';

const started = [];

/** A port nothing listens on right now. */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `command`, keeping its output for error messages; stopped by stopAll(). */
export function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (text) => { child.output += text; });
  }
  child.label = name;
  started.push(child);
  return child;
}

/** Resolves with the first match of `pattern` in the child's output; rejects if it exits first. */
export function waitForOutput(child, pattern, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = child.output.match(pattern);
      if (match) { cleanup(); resolve(match); }
    };
    const exited = (code) => { cleanup(); reject(new Error(`${child.label} exited (${code}) before ${pattern}:\n${child.output}`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${child.label}: no ${pattern} within ${timeoutMs} ms:\n${child.output}`)); }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      child.off('exit', exited);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('exit', exited);
    check();
  });
}

/** Resolves once something accepts TCP connections on `port` (aiosmtpd prints nothing when ready). */
export async function waitForPort(port, child, attempts = 200) {
  for (let i = 0; i < attempts; i += 1) {
    if (child.exitCode !== null) throw new Error(`${child.label} exited:\n${child.output}`);
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${child.label} never listened on ${port}:\n${child.output}`);
}

/** Runs `command` to its end and returns its stdout. */
export async function run(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${out}${err}`);
  return out;
}

export async function stopAll() {
  await Promise.all(started.splice(0).map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }));
}
