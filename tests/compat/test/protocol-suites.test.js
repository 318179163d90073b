// The cases of the Engine.IO and Socket.IO protocol repositories' own test suites
// (`engine.io-protocol/test-suite`, `socket.io-protocol/test-suite`) that a broadcasting server can
// pass — written anew here against a real resso, for Engine.IO 3 and 4, with the suites' heartbeat
// (300 ms / 200 ms). Cases that need the suites' echo application (a message answered with itself
// or with "message-back", an "auth" event echoed after CONNECT, a `/custom` namespace, binary
// attachments) are not here: Ressò is that application's opposite, and answers those packets as its
// protocol says (docs/socketio.md lists them).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import WebSocket from 'ws';

import { APP, sleep, startServer, withTimeout } from './support.js';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

const config = `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"

[apps.socketio]
ping_interval = ${PING_INTERVAL}
ping_timeout = ${PING_TIMEOUT}
`;

let server;
let http;
let ws;

before(async () => {
  server = await startServer({ config });
  http = `${server.baseUrl}/socket.io/`;
  ws = http.replace('http', 'ws');
});
after(() => server.stop());

/** The next `event` of a WebSocket, within two seconds. */
const next = (socket, event) =>
  withTimeout(new Promise((resolve) => socket.once(event, (...a) => resolve(a))), 2000, `ws ${event}`);

/** The next message, from a queue every socket keeps from its start (several can arrive in one read). */
function message(socket) {
  if (socket.queue.length > 0) return Promise.resolve(socket.queue.shift());
  return withTimeout(new Promise((resolve) => socket.waiters.push(resolve)), 2000, 'a ws message');
}

/** Engine.IO 3 frames a polling payload as `length:packet`; Engine.IO 4 separates packets by 0x1e. */
const payload = (eio, packets) => (eio === 3 ? packets.map((p) => `${p.length}:${p}`).join('') : packets.join('\x1e'));

const poll = (eio, sid) => fetch(`${http}?EIO=${eio}&transport=polling&sid=${sid}`);
const post = (eio, sid, body) => fetch(`${http}?EIO=${eio}&transport=polling&sid=${sid}`, { method: 'POST', body });

/** The packets of a polling payload. */
function packets(eio, text) {
  if (eio === 4) return text.split('\x1e');
  const out = [];
  for (let at = 0; at < text.length; ) {
    const colon = text.indexOf(':', at);
    const length = Number(text.slice(at, colon));
    out.push(text.slice(colon + 1, colon + 1 + length));
    at = colon + 1 + length;
  }
  return out;
}

/** Opens a polling session; returns the handshake's value. */
async function openPolling(eio) {
  const text = await (await fetch(`${http}?EIO=${eio}&transport=polling`)).text();
  return JSON.parse(packets(eio, text)[0].slice(1));
}

/** Reads the open packet of a new websocket (and, for Engine.IO 3, the automatic CONNECT). */
async function opened(socket, eio) {
  const open = await message(socket);
  if (eio === 3) assert.equal(await message(socket), '40');
  return open;
}

async function openWs(eio, sid) {
  const socket = new WebSocket(`${ws}?EIO=${eio}&transport=websocket${sid ? `&sid=${sid}` : ''}`);
  socket.on('error', () => {});
  socket.queue = [];
  socket.waiters = [];
  socket.on('message', (data) => {
    const waiter = socket.waiters.shift();
    if (waiter) waiter(String(data));
    else socket.queue.push(String(data));
  });
  return socket;
}

const T = { timeout: 10_000 };

for (const eio of [3, 4]) {
  describe(`Engine.IO ${eio}`, () => {
    test('polling handshake: sid, upgrades, heartbeat and maxPayload', T, async () => {
      const response = await fetch(`${http}?EIO=${eio}&transport=polling`);
      assert.equal(response.status, 200);
      const [open, ...rest] = packets(eio, await response.text());
      // Socket.IO 2's protocol (Engine.IO 3) connects the main namespace unasked, as the reference
      // server does for such clients.
      assert.deepEqual(rest, eio === 3 ? ['40'] : []);
      assert.ok(open.startsWith('0'));
      const value = JSON.parse(open.slice(1));
      // Engine.IO 3's open packet has no maxPayload (its spec's four fields, as engine.io 3 sent).
      const keys = ['pingInterval', 'pingTimeout', 'sid', 'upgrades'];
      if (eio === 4) keys.unshift('maxPayload');
      assert.deepEqual(Object.keys(value).sort(), keys);
      assert.equal(typeof value.sid, 'string');
      assert.deepEqual(value.upgrades, ['websocket']);
      assert.equal(value.pingInterval, PING_INTERVAL);
      assert.equal(value.pingTimeout, PING_TIMEOUT);
      if (eio === 4) assert.equal(value.maxPayload, 1000000);
    });

    test('bad EIO, transport or method: 400', T, async () => {
      for (const query of ['transport=polling', 'EIO=abc&transport=polling', `EIO=${eio}`, `EIO=${eio}&transport=abc`]) {
        assert.equal((await fetch(`${http}?${query}`)).status, 400, query);
      }
      for (const method of ['POST', 'PUT']) {
        const r = await fetch(`${http}?EIO=${eio}&transport=polling`, { method });
        assert.equal(r.status, 400, method);
      }
    });

    test('websocket handshake: no upgrades', T, async () => {
      const socket = await openWs(eio);
      const open = await opened(socket, eio);
      assert.ok(open.startsWith('0'));
      const value = JSON.parse(open.slice(1));
      assert.deepEqual(value.upgrades, []);
      assert.equal(value.pingInterval, PING_INTERVAL);
      socket.close();
    });

    test('bad EIO or transport on a websocket: refused', T, async () => {
      for (const query of ['transport=websocket', 'EIO=abc&transport=websocket', `EIO=${eio}`, `EIO=${eio}&transport=abc`]) {
        const socket = new WebSocket(`${ws}?${query}`);
        const [error] = await next(socket, 'error');
        assert.match(String(error), /Unexpected server response: 400/, query);
      }
    });

    test('an invalid packet closes the polling session', T, async () => {
      const { sid } = await openPolling(eio);
      const r = await post(eio, sid, 'abc');
      assert.equal(r.status, 400);
      assert.equal((await poll(eio, sid)).status, 400);
    });

    test('an invalid packet closes the websocket', T, async () => {
      const socket = await openWs(eio);
      await opened(socket, eio);
      socket.send('abc');
      await next(socket, 'close');
    });

    test('a duplicate poll gets 400 and closes the session; the first poll gets the close packet', T, async () => {
      const { sid } = await openPolling(eio);
      const first = poll(eio, sid);
      await sleep(20);
      const second = await poll(eio, sid);
      assert.equal(second.status, 400);
      const answered = await first;
      assert.equal(answered.status, 200);
      assert.equal(await answered.text(), payload(eio, ['1']));
      assert.equal((await poll(eio, sid)).status, 400);
    });

    test('heartbeat over polling', T, async () => {
      const { sid } = await openPolling(eio);
      for (let i = 0; i < 3; i += 1) {
        if (eio === 3) {
          assert.equal((await post(eio, sid, payload(3, ['2']))).status, 200);
          assert.equal(await (await poll(eio, sid)).text(), payload(3, ['3']));
        } else {
          assert.equal(await (await poll(eio, sid)).text(), '2');
          assert.equal((await post(eio, sid, '3')).status, 200);
        }
      }
    });

    test('a silent polling session is closed after pingInterval + pingTimeout', T, async () => {
      const { sid } = await openPolling(eio);
      if (eio === 4) assert.equal(await (await poll(eio, sid)).text(), '2'); // the ping, unanswered
      await sleep(PING_INTERVAL + PING_TIMEOUT + 100);
      assert.equal((await poll(eio, sid)).status, 400);
    });

    test('heartbeat over websocket, and its timeout', T, async () => {
      const socket = await openWs(eio);
      await opened(socket, eio);
      for (let i = 0; i < 3; i += 1) {
        if (eio === 3) {
          socket.send('2');
          assert.equal(await message(socket), '3');
        } else {
          assert.equal(await message(socket), '2');
          socket.send('3');
        }
      }
      const silent = await openWs(eio);
      await next(silent, 'close');
      socket.close();
    });

    test('a close packet over polling: the waiting poll gets a noop, then the session is gone', T, async () => {
      const { sid } = await openPolling(eio);
      const waiting = poll(eio, sid);
      await sleep(20);
      assert.equal((await post(eio, sid, payload(eio, ['1']))).status, 200);
      const answered = await waiting;
      assert.equal(answered.status, 200);
      assert.equal(await answered.text(), payload(eio, ['6']));
      assert.equal((await poll(eio, sid)).status, 400);
    });

    test('a close packet over websocket closes it', T, async () => {
      const socket = await openWs(eio);
      await opened(socket, eio);
      socket.send('1');
      await next(socket, 'close');
    });

    test('upgrade: probe, noop to the waiting poll, then polling is refused and a second websocket closed', T, async () => {
      const { sid } = await openPolling(eio);
      const socket = await openWs(eio, sid);
      await next(socket, 'open');
      socket.send('2probe');
      assert.equal(await message(socket), '3probe');
      const waiting = await poll(eio, sid);
      assert.equal(await waiting.text(), payload(eio, ['6']));
      socket.send('5');
      await sleep(50);
      assert.equal((await poll(eio, sid)).status, 400);
      const second = await openWs(eio, sid);
      await next(second, 'close');
      socket.close();
    });
  });
}

describe('Socket.IO', () => {
  for (const eio of [3, 4]) {
    /** A connected socket; Engine.IO 3's CONNECT comes unasked with the open packet. */
    const connect = async () => {
      const socket = await openWs(eio);
      if (eio === 3) {
        await message(socket);
        return { socket, answer: await message(socket) };
      }
      await message(socket);
      socket.send('40');
      return { socket, answer: await message(socket) };
    };

    test(`EIO ${eio}: CONNECT to the main namespace is answered with its sid`, T, async () => {
      const { socket, answer } = await connect();
      assert.ok(answer.startsWith('40'), answer);
      if (eio === 4) assert.equal(typeof JSON.parse(answer.slice(2)).sid, 'string');
      socket.close();
    });

    test(`EIO ${eio}: an unknown namespace is refused`, T, async () => {
      const socket = await openWs(eio);
      await opened(socket, eio);
      socket.send('40/random,');
      const refusal = await message(socket);
      const expected = eio === 3 ? '44/random,"Invalid namespace"' : '44/random,{"message":"Invalid namespace"}';
      assert.equal(refusal, expected);
      socket.close();
    });

    test(`EIO ${eio}: an invalid handshake closes the connection`, T, async () => {
      const socket = await openWs(eio);
      await opened(socket, eio);
      socket.send('4abc');
      await next(socket, 'close');
    });

    test(`EIO ${eio}: DISCONNECT from the main namespace closes the connection`, T, async () => {
      const { socket } = await connect();
      socket.send('41');
      await next(socket, 'close');
    });
  }
});
