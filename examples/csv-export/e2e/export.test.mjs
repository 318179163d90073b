// End to end in headless Chromium: the app (its built binary) with a real redis-server queue and a
// real SMTP server (aiosmtpd → Maildir), two users signed in in separate browser contexts.
// The first exports: the progress bar moves, "e-mailed" appears with no navigation, exactly one
// mail with their rows arrives; the second hears nothing of it. Then the second's export fails
// (EXPORT_FAIL_USERS) and their page says so. Screenshots go to target/csv-export-e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, run, start, stopAll, waitForOutput, waitForPort } from './support.mjs';
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

let tmp;
let baseUrl;
let redisPort;
let browser;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'csv-export-e2e-'));
  mkdirSync(shots, { recursive: true });
  redisPort = await freePort();
  const redis = start('redis-server', 'redis-server', [
    '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no',
  ]);
  await waitForOutput(redis, /Ready to accept connections/);
  const smtpPort = await freePort();
  const smtp = start('aiosmtpd', PYTHON, [
    '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', join(tmp, 'maildir'),
  ]);
  await waitForPort(smtpPort, smtp);
  const app = start('csv-export', bin, [], {
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: join(tmp, 'data'),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Exports <exports@example.com>',
      EXPORT_ROW_DELAY_MS: '15',
      EXPORT_FAIL_USERS: SECOND,
    },
  });
  [, baseUrl] = await waitForOutput(app, /open (http:\/\/127\.0\.0\.1:\d+)\//);
  // The wrapper script of Debian's chromium is given playwright's fresh profile (--user-data-dir).
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await stopAll();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A signed-in page in its own browser context (own cookies), subscribed to its private channel. */
async function signIn(email) {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => { page.errors = [...(page.errors || []), String(error)]; });
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'password');
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('button[type=submit]')]);
  await page.waitForSelector('body[data-live=subscribed]', { timeout: 20_000 });
  return page;
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

test('the vendored Echo and pusher-js are the installed npm packages', () => {
  for (const [from, to] of VENDORED) {
    const installed = readFileSync(join(pkg, 'node_modules', from));
    const vendored = readFileSync(join(pkg, 'assets/vendor', to));
    assert.ok(installed.equals(vendored), `assets/vendor/${to} differs from ${from}: run npm run vendor`);
  }
});

test('an export is queued, shown live, e-mailed to its user only; a failed one says so', async () => {
  const first = await signIn(FIRST);
  const second = await signIn(SECOND);
  await first.screenshot({ path: join(shots, '1-signed-in.png') });
  const watch = await watchNavigation(first);

  await first.getByRole('button', { name: /Export/ }).click();
  await first.waitForFunction(() => {
    const value = Number(document.getElementById('progress').value);
    return value > 10 && value < 90;
  }, null, { timeout: 30_000 });
  await first.screenshot({ path: join(shots, '2-progress.png') });
  await first.waitForFunction(
    () => document.getElementById('status').textContent.includes('e-mailed'),
    null,
    { timeout: 60_000 },
  );
  await first.locator('#notifications li').first().waitFor();
  await first.screenshot({ path: join(shots, '3-e-mailed.png') });

  assert.match(await statusText(first), new RegExp(`Your CSV export has been e-mailed to ${FIRST}`));
  assert.equal(watch.navigations, 0, 'the page navigated');
  assert.equal(await first.evaluate(() => window.noReloadMarker), 'still here');
  const seen = await first.evaluate(() => window.progressSeen);
  const between = seen.filter((v) => v > 0 && v < 100);
  assert.ok(new Set(between).size >= 5, `the bar barely moved: ${seen}`);
  assert.deepEqual(between, [...between].sort((a, b) => a - b), `the bar went backwards: ${seen}`);
  assert.equal(seen.at(-1), 100);
  assert.deepEqual(first.errors || [], []);

  const mail = JSON.parse(await run(PYTHON, [
    join(here, 'check_mail.py'), join(tmp, 'maildir'), join(tmp, 'data/app.db'), FIRST,
  ]));
  assert.equal(mail.total_mails, 1, JSON.stringify(mail));
  assert.equal(mail.mails_to_user, 1);
  assert.deepEqual(mail.csv_attachments, ['my-data.csv']);
  assert.equal(mail.rows, mail.expected_rows);
  assert.ok(mail.rows_match && mail.header_ok && mail.multiline_fields > 0, JSON.stringify(mail));

  assert.deepEqual(await second.evaluate(() => window.exportEvents), [], 'the second user heard the first one\'s export');
  assert.equal(await statusText(second), '');

  await second.getByRole('button', { name: /Export/ }).click();
  await second.waitForFunction(
    () => document.getElementById('status').textContent.includes('failed'),
    null,
    { timeout: 60_000 },
  );
  await second.screenshot({ path: join(shots, '4-failed.png') });
  assert.match(await statusText(second), /The export failed: .*EXPORT_FAIL_USERS/);
  assert.equal(await second.locator('#status').getAttribute('class'), 'error');
  const firstHeard = await first.evaluate(() => window.exportEvents.map((e) => e.name));
  assert.ok(!firstHeard.includes('ExportFailed'), 'the first user heard the second one\'s failure');

  const channelOfFirst = JSON.parse(await first.locator('#page-config').textContent()).channel;
  const asSecond = await second.evaluate(async (channel) => {
    const body = new URLSearchParams({ socket_id: '1234.5678', channel_name: channel });
    return (await fetch('/broadcasting/auth', { method: 'POST', body })).status;
  }, channelOfFirst);
  assert.equal(asSecond, 403, 'the second user may subscribe to the first one\'s channel');

  const stats = await run('redis-cli', ['-p', String(redisPort), 'info', 'commandstats']);
  assert.match(stats, /cmdstat_rpush:calls=2,/, 'both jobs went through Redis');
  const after = JSON.parse(await run(PYTHON, [
    join(here, 'check_mail.py'), join(tmp, 'maildir'), join(tmp, 'data/app.db'), FIRST,
  ]));
  assert.equal(after.total_mails, 1, 'a failed export sent mail');
});
