// End to end in headless Chromium: the app (its built binary) with a real redis-server queue and a
// real SMTP server (aiosmtpd → Maildir), two users signed in in separate browser contexts, once on
// the page with Echo's Pusher connector and once on the page with its socket.io connector (each
// against a fresh app). The first exports: the progress bar moves, "e-mailed" appears with no
// navigation, exactly one mail with their rows arrives; the second hears nothing of it. Then the
// second's export fails (EXPORT_FAIL_USERS) and their page says so. Along the way: the live
// indicator and the "events received" panel, no console error, no warning in the app's log, and
// the exports listed again after a reload. With mail written to files, "Open the e-mail" shows the
// mail and its attachment downloads. Screenshots go to target/csv-export-e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, run, start, stopAll, waitForOutput, waitForPort } from './support.mjs';
import { DEV_APP, untilOccupied } from './resso.mjs';
import { VENDORED } from './vendor.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const repo = join(pkg, '../..');
const bin = resolve(process.env.CSV_EXPORT_BIN || join(repo, 'target/debug/csv-export'));
const shots = join(repo, 'target/csv-export-e2e');
// Debian's python3 (with python3-aiosmtpd), not whichever python3 comes first on PATH.
const PYTHON = process.env.E2E_PYTHON || '/usr/bin/python3';
const FIRST = 'demo@example.com';
const SECOND = 'second@example.com';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * The two export pages. `broadcaster` is Echo's option (the page shows it in <body
 * data-connector>); `live` the <body data-live> a page sets once it can follow an export; `ready`
 * what the test waits for beyond it (a Socket.IO page hears no subscription answer, so the test
 * asks Ressò); `transport` matches the client library's request and WebSocket URLs.
 */
const PUSHER = {
  name: 'pusher',
  broadcaster: 'reverb',
  path: '/',
  live: 'subscribed',
  transport: /\/app\/app-key\b/,
};
const SOCKET_IO = {
  name: 'socket.io',
  broadcaster: 'socket.io',
  path: '/?connector=socket.io',
  live: 'connected',
  transport: /\/socket\.io\/\?EIO=4&transport=(polling|websocket)/,
  ready: (app, page) => untilOccupied(app.resso, page.channel),
};

let tmp;
let browser;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'csv-export-e2e-'));
  mkdirSync(shots, { recursive: true });
  // The wrapper script of Debian's chromium is given playwright's fresh profile (--user-data-dir).
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await stopAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The app on a free port with `env`, its data in `dir`; resolves with its URL and its Ressò's. */
async function startApp(name, dir, env) {
  const app = start(name, bin, [], {
    env: { ...process.env, PORT: '0', DATA_DIR: join(dir, 'data'), ...env },
  });
  const [, url] = await waitForOutput(app, /open (http:\/\/127\.0\.0\.1:\d+)\//);
  if (env.BROADCAST_CONNECTION) return { url, dir, process: app };
  const [, resso] = await waitForOutput(app, /embedded Ressò on (127\.0\.0\.1:\d+)/);
  return { url, resso: `http://${resso}`, dir, process: app };
}

/** A fresh app with its own redis-server and SMTP server, in its own folder. */
async function startStack(name) {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const redisPort = await freePort();
  const redis = start(`redis-server (${name})`, 'redis-server', [
    '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
  ]);
  await waitForOutput(redis, /Ready to accept connections/);
  const smtpPort = await freePort();
  const smtp = start(`aiosmtpd (${name})`, PYTHON, [
    '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir'),
  ]);
  await waitForPort(smtpPort, smtp);
  const app = await startApp(`csv-export (${name})`, dir, {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    MAIL_FROM: 'Exports <exports@example.com>',
    EXPORT_ROW_DELAY_MS: '15',
    EXPORT_FAIL_USERS: SECOND,
  });
  return { ...app, redisPort };
}

/**
 * A page of `app` signed in as `email` in its own browser context (own cookies). Every request and
 * WebSocket URL it opens is kept in `page.urls`; page errors in `page.errors`.
 */
async function signIn(app, email) {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  page.errors = [];
  page.urls = [];
  page.on('pageerror', (error) => page.errors.push(String(error)));
  // A 404 (a missing favicon, say) shows in the console as an error too.
  page.on('console', (message) => { if (message.type() === 'error') page.errors.push(message.text()); });
  page.on('request', (request) => page.urls.push(request.url()));
  page.on('websocket', (socket) => page.urls.push(socket.url()));
  await page.goto(`${app.url}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'password');
  await Promise.all([page.waitForURL(`${app.url}/`), page.click('button[type=submit]')]);
  return page;
}

/** Opens `connector`'s export page and waits until it follows its user's channel. */
async function openLive(app, page, connector) {
  await page.goto(`${app.url}${connector.path}`);
  await page.waitForSelector(`body[data-live=${connector.live}]`, { timeout: 20_000 });
  await page.waitForSelector('#live[data-state=connected]');
  assert.equal(await page.locator('#live-text').textContent(), 'Live');
  page.channel = JSON.parse(await page.locator('#page-config').textContent()).channel;
  await connector.ready?.(app, page);
  assert.equal(await page.evaluate(() => document.body.dataset.connector), connector.broadcaster);
}

/** Counts main-frame navigations from now on, and plants a marker a reload would wipe. */
async function watchNavigation(page) {
  const watch = { navigations: 0 };
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) watch.navigations += 1; });
  await page.evaluate(() => {
    window.noReloadMarker = 'still here';
    window.progressSeen = [];
    const bar = document.getElementById('progress');
    new MutationObserver(() => window.progressSeen.push(Number(bar.value)))
      .observe(bar, { attributes: true, attributeFilter: ['value'] });
  });
  return watch;
}

const statusText = (page) => page.locator('#status').textContent();
const checkMail = (app, email) => run(PYTHON, [
  join(here, 'check_mail.py'), join(app.dir, 'maildir'), join(app.dir, 'data/app.db'), email,
]).then(JSON.parse);

/** The first user's export, followed live on `connector`'s page. */
async function exportAndWatch(app, first, connector) {
  const shot = (n, what) => first.screenshot({ path: join(shots, `${connector.name}-${n}-${what}.png`), fullPage: true });
  await shot(1, 'signed-in');
  const watch = await watchNavigation(first);
  await first.getByRole('button', { name: /Export/ }).click();
  await first.waitForFunction(() => {
    const value = Number(document.getElementById('progress').value);
    return value > 10 && value < 90;
  }, null, { timeout: 30_000 });
  await shot(2, 'progress');
  await first.waitForFunction(
    () => document.getElementById('status').textContent.includes('e-mailed'),
    null,
    { timeout: 60_000 },
  );
  await first.locator('#notifications li').first().waitFor();
  await shot(3, 'e-mailed');

  assert.match(await statusText(first), new RegExp(`Your CSV export has been e-mailed to ${FIRST}`));
  assert.equal(watch.navigations, 0, 'the page navigated');
  assert.equal(await first.evaluate(() => window.noReloadMarker), 'still here');
  const seen = await first.evaluate(() => window.progressSeen);
  const between = seen.filter((v) => v > 0 && v < 100);
  assert.ok(new Set(between).size >= 5, `the bar barely moved: ${seen}`);
  assert.deepEqual(between, [...between].sort((a, b) => a - b), `the bar went backwards: ${seen}`);
  assert.equal(seen.at(-1), 100);
  assert.deepEqual(first.errors, []);
  await checkEventsPanel(first);
  assert.doesNotMatch(app.process.output, /WARN|ERROR/, 'a warning in a normal run');

  const mail = await checkMail(app, FIRST);
  assert.equal(mail.total_mails, 1, JSON.stringify(mail));
  assert.equal(mail.mails_to_user, 1);
  assert.deepEqual(mail.csv_attachments, ['my-data.csv']);
  assert.equal(mail.rows, mail.expected_rows);
  assert.ok(mail.rows_match && mail.header_ok && mail.multiline_fields > 0, JSON.stringify(mail));
}

/** The panel lists what arrived, by wire name and channel; progress events share a line. */
async function checkEventsPanel(page) {
  const rows = await page.locator('#events li').evaluateAll((items) => items.map((li) => ({ ...li.dataset })));
  const named = (name) => rows.find((r) => r.name === name);
  for (const name of ['App\\Events\\ExportProgress', 'App\\Events\\ExportCompleted',
    'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated']) {
    assert.equal(named(name)?.channel, page.channel, `${name} on ${page.channel}: ${JSON.stringify(rows)}`);
  }
  assert.ok(Number(named('App\\Events\\ExportProgress').count) > 5, JSON.stringify(rows));
  assert.match(await page.locator('#events').textContent(), /App\\Events\\ExportCompleted on private-App\.Models\.User\.\d+/);
}

/** The second user, who heard nothing of the first's export, exports and sees it fail. */
async function failAndWatch(app, first, second, connector) {
  assert.deepEqual(await second.evaluate(() => window.exportEvents), [], 'the second user heard the first one\'s export');
  assert.equal(await second.locator('#events li').count(), 0);
  assert.equal(await statusText(second), '');

  await second.getByRole('button', { name: /Export/ }).click();
  await second.waitForFunction(
    () => document.getElementById('status').textContent.includes('failed'),
    null,
    { timeout: 60_000 },
  );
  await second.screenshot({ path: join(shots, `${connector.name}-4-failed.png`) });
  assert.match(await statusText(second), /The export failed: .*EXPORT_FAIL_USERS/);
  assert.equal(await second.locator('#status').getAttribute('class'), 'error');
  const firstHeard = await first.evaluate(() => window.exportEvents.map((e) => e.name));
  assert.ok(!firstHeard.includes('ExportFailed'), 'the first user heard the second one\'s failure');

  const stats = await run('redis-cli', ['-p', String(app.redisPort), 'info', 'commandstats']);
  assert.match(stats, /cmdstat_rpush:calls=2,/, 'both jobs went through Redis');
  assert.equal((await checkMail(app, FIRST)).total_mails, 1, 'a failed export sent mail');
}

/** The whole story on `connector`'s pages of a fresh app; resolves with the two pages. */
async function exportStory(connector) {
  const app = await startStack(connector.name);
  const first = await signIn(app, FIRST);
  const second = await signIn(app, SECOND);
  await openLive(app, first, connector);
  await openLive(app, second, connector);
  await exportAndWatch(app, first, connector);
  await failAndWatch(app, first, second, connector);
  return { app, first, second };
}

/** Answers `/broadcasting/auth` gives the signed-in `page` for `fields` (form-encoded). */
const askAuth = (page, fields) => page.evaluate(async (body) => {
  const response = await fetch('/broadcasting/auth', { method: 'POST', body: new URLSearchParams(body) });
  return { status: response.status, body: await response.text() };
}, fields);

test('the vendored Echo, pusher-js and socket.io-client are the installed npm packages', () => {
  for (const [from, to] of VENDORED) {
    const installed = readFileSync(join(pkg, 'node_modules', from));
    const vendored = readFileSync(join(pkg, 'assets/vendor', to));
    assert.ok(installed.equals(vendored), `assets/vendor/${to} differs from ${from}: run npm run vendor`);
  }
});

test('Pusher connector: an export is queued, shown live, e-mailed to its user only; a failed one says so', async () => {
  const { app, first, second } = await exportStory(PUSHER);
  assert.ok(first.urls.some((url) => PUSHER.transport.test(url)), `no Pusher WebSocket: ${first.urls}`);
  await reconnects(first);
  // After a reload the exports are still listed, with how each ended.
  await first.reload();
  await first.waitForSelector('#live[data-state=connected]');
  assert.match(await first.locator('#exports').textContent(), /Export #\d+ · .* UTC · \d+ rows, e-mailed/);
  await second.reload();
  assert.match(await second.locator('#exports').textContent(), /failed: .*EXPORT_FAIL_USERS/);
  assert.deepEqual(first.errors, []);
  assert.equal(app.process.exitCode, null);
  const signed = await askAuth(second, { socket_id: '1234.5678', channel_name: first.channel });
  assert.equal(signed.status, 403, 'the second user may subscribe to the first one\'s channel');
});

/** The indicator follows Echo's connection: offline when it drops, reconnecting, live again. */
async function reconnects(page) {
  await page.evaluate(() => {
    window.liveStates = [];
    const live = document.getElementById('live');
    new MutationObserver(() => window.liveStates.push(live.dataset.state))
      .observe(live, { attributes: true, attributeFilter: ['data-state'] });
    window.Echo.connector.pusher.disconnect();
  });
  await page.waitForSelector('#live[data-state=unavailable]');
  assert.equal(await page.locator('#live-text').textContent(), 'Offline');
  await page.evaluate(() => window.Echo.connector.pusher.connect());
  await page.waitForSelector('#live[data-state=connected]');
  assert.deepEqual(await page.evaluate(() => window.liveStates), ['unavailable', 'reconnecting', 'connected']);
}

test('mail written to files: "Open the e-mail" shows it, its attachment downloads', async () => {
  const dir = mkdtempSync(join(tmp, 'files-'));
  const app = await startApp('csv-export (mail to files)', dir, { EXPORT_ROW_DELAY_MS: '0' });
  const page = await signIn(app, FIRST);
  await openLive(app, page, PUSHER);
  await page.getByRole('button', { name: /Export/ }).click();
  const open = page.locator('#status a', { hasText: 'Open the e-mail' });
  await open.waitFor({ timeout: 30_000 });
  await Promise.all([page.waitForURL(/\/mail\/[0-9a-f-]+\.eml$/), open.click()]);
  await page.screenshot({ path: join(shots, 'files-1-mail.png') });
  const headers = await page.locator('dl.headers').textContent();
  assert.match(headers, /FromRessò CSV exports <exports@example\.com>/);
  assert.match(headers, new RegExp(`To.*<${FIRST}>`));
  assert.match(headers, /SubjectYour CSV export/);
  assert.match(await page.locator('pre.body').textContent(), /attached is the CSV export/);
  const link = page.locator('ul.attachments a');
  assert.equal(await link.textContent(), 'my-data.csv');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'my-data.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^order_id,placed_on,item,note,quantity,amount\r?\n/);
  await page.goto(`${app.url}/`);
  assert.match(await page.locator('#exports').textContent(), /rows, e-mailed · Open the e-mail/);
  assert.deepEqual(page.errors, []);
});

test('socket.io connector: the same story through Socket.IO, authorized by the app for Ressò', async () => {
  const { app, first, second } = await exportStory(SOCKET_IO);
  const ressoHost = new URL(app.resso).host;
  for (const page of [first, second]) {
    const toResso = page.urls.filter((url) => SOCKET_IO.transport.test(url) && new URL(url).host === ressoHost);
    assert.ok(toResso.length > 0, `no Socket.IO request to ${ressoHost}: ${page.urls}`);
  }
  // What Ressò's Socket.IO endpoint sends: `channel_name` only, answered unsigned.
  assert.deepEqual(await askAuth(second, { channel_name: second.channel }), { status: 200, body: 'true' });
  assert.equal((await askAuth(second, { channel_name: first.channel })).status, 403);

  // Pointed at an outside server (here this app's Ressò, as Reverb), the page says it cannot.
  const outside = await startApp('csv-export (outside server)', mkdtempSync(join(tmp, 'outside-')), {
    BROADCAST_CONNECTION: 'reverb',
    REVERB_APP_ID: DEV_APP.id,
    REVERB_APP_KEY: DEV_APP.key,
    REVERB_APP_SECRET: DEV_APP.secret,
    REVERB_HOST: '127.0.0.1',
    REVERB_PORT: new URL(app.resso).port,
    REVERB_SCHEME: 'http',
  });
  const page = await signIn(outside, FIRST);
  await page.goto(`${outside.url}${SOCKET_IO.path}`);
  await page.screenshot({ path: join(shots, 'socket.io-5-unavailable.png') });
  assert.match(await statusText(page), /Socket\.IO .* are unavailable/);
  assert.ok(await page.getByRole('button', { name: /Export/ }).isDisabled());
  assert.ok(!page.urls.some((url) => SOCKET_IO.transport.test(url)), `a Socket.IO request: ${page.urls}`);
  assert.deepEqual(page.errors, []);
});
