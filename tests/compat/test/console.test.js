// The debug console in headless Chromium (Debian's, driven by playwright-core) against the real
// binary: refused without credentials; with them, a pusher-js client's subscription and an HTTP
// API event appear in the live log, and an event sent with the event creator reaches a pusher-js
// client and a socket.io-client (through Laravel Echo's socket.io connector). Screenshots go to
// target/console-e2e/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import Echo from 'laravel-echo';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';

import { APP, REPO_ROOT, WAIT, clientFactory, record, serverSdk, startServer, subscribe, until, withTimeout } from './support.js';

const T = { timeout: 60_000 };
const CREDENTIALS = { username: 'ops', password: 'console password' };
const SHOTS = path.join(REPO_ROOT, 'target', 'console-e2e');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// One app, so it also serves Socket.IO (the default for an only app).
const CONFIG = `
[[apps]]
id = "${APP.id}"
key = "${APP.key}"
secret = "${APP.secret}"

[console]
user = "${CREDENTIALS.username}"
password = "${CREDENTIALS.password}"
`;

let server;
let browser;
let pusher;
let echo;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ config: CONFIG });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  pusher = clientFactory(server);
});

after(async () => {
  echo?.disconnect();
  await pusher?.closeAll();
  await browser?.close();
  await server?.stop();
});

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test('without credentials, or with wrong ones, the console answers 401 and shows nothing', T, async () => {
  for (const [name, httpCredentials] of [['none', undefined], ['wrong', { ...CREDENTIALS, password: 'wrong' }]]) {
    const context = await browser.newContext({ httpCredentials });
    const page = await context.newPage();
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/console/');
    // Headless Chromium cannot ask for a password: the navigation fails once the 401 arrives
    // (how it says so varies), so the answer itself is what is checked.
    await page.goto(`${server.baseUrl}/console/`).catch(() => {});
    const response = await answered;
    assert.equal(response.status(), 401, `credentials: ${name}`);
    assert.match(response.headers()['www-authenticate'], /^Basic realm=/);
    assert.equal(response.headers()['content-length'], '0', 'nothing else');
    assert.equal(await page.locator('#creator').count(), 0);
    await shot(page, `1-refused-${name}`);
    await context.close();
  }
});

test('the live log shows a pusher-js subscription and an API event; the event creator reaches pusher-js and socket.io', T, async () => {
  const context = await browser.newContext({ httpCredentials: CREDENTIALS, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.baseUrl}/console/`);
  await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#app').inputValue(), APP.id);

  const log = (kind, text) => page.locator(`#entries li.kind-${kind}`, { hasText: text }).first();
  const client = pusher();
  const channel = await subscribe(client, 'news');
  await log('subscription', 'news').waitFor({ timeout: WAIT });
  await log('connection', 'via=pusher').waitFor({ timeout: WAIT });
  await serverSdk(server).trigger('news', 'price-changed', { price: 42 });
  const apiEntry = log('api', 'price-changed');
  await apiEntry.waitFor({ timeout: WAIT });
  assert.match(await apiEntry.textContent(), /news/);
  await shot(page, '2-live-log');

  echo = new Echo({ broadcaster: 'socket.io', client: io, host: server.baseUrl, transports: ['websocket'], reconnection: false, forceNew: true });
  const heardBySocketIo = [];
  echo.channel('news').listen('.headline', (data) => heardBySocketIo.push(data));
  await log('connection', 'via=socketio').waitFor({ timeout: WAIT });
  const channelRow = page.locator('#channels tbody tr', { hasText: 'news' });
  await until(async () => (await channelRow.count()) === 1 && (await channelRow.locator('td').nth(1).textContent()) === '2',
    'the channels panel to show news with 2 subscribers');

  const heardByPusher = record(channel, 'headline');
  await page.fill('input[name="channel"]', 'news');
  await page.fill('input[name="event"]', 'headline');
  await page.fill('textarea[name="data"]', '{"title": "sent from the console"}');
  await page.click('button:has-text("Send")');
  await page.locator('#sent', { hasText: '2 subscribers' }).waitFor({ timeout: WAIT });
  const [got] = await heardByPusher.wait(1);
  assert.deepEqual(got.data, { title: 'sent from the console' });
  await until(() => heardBySocketIo.length === 1, 'socket.io-client to get the event');
  assert.deepEqual(heardBySocketIo[0], { title: 'sent from the console' });
  await log('api', 'headline').waitFor({ timeout: WAIT });

  await page.fill('#filter-kind', '').catch(() => {});
  await page.selectOption('#filter-kind', 'api');
  assert.equal(await page.locator('#entries li.kind-subscription:visible').count(), 0, 'the kind filter hides the rest');
  assert.ok(await page.locator('#entries li.kind-api:visible').count() >= 2);
  await shot(page, '3-event-creator');

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, '4-phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
  assert.deepEqual(errors, []);
  await withTimeout(context.close(), WAIT, 'the page to close');
});
