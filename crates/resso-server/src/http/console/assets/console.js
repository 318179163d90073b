// The debug console: watches one app's live feed (server-sent events), its channels and its
// counters, and publishes events with the event creator. Plain script, no dependencies; every
// name from the server is shown as text, never as markup.
'use strict';

const MAX_SHOWN = 500;      // entries kept in the log
const MAX_HELD = 2000;      // entries held while paused
const POINTS = 60;          // chart points (one a second)
const $ = (id) => document.getElementById(id);
const state = { app: null, source: null, paused: false, held: [], dropped: 0, last: null, series: { conn: [], sent: [], received: [] }, timers: [] };

async function request(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

const appUrl = (path) => `api/apps/${encodeURIComponent(state.app)}/${path}`;

async function start() {
  const { apps } = await request('api/apps');
  const picker = $('app');
  for (const app of apps) picker.append(new Option(app.enabled ? app.id : `${app.id} (disabled)`, app.id));
  const wanted = new URLSearchParams(location.hash.slice(1)).get('app');
  if (apps.some((a) => a.id === wanted)) picker.value = wanted;
  picker.addEventListener('change', () => watch(picker.value));
  for (const id of ['filter-channel', 'filter-event', 'filter-kind']) $(id).addEventListener('input', refilter);
  $('pause').addEventListener('click', togglePause);
  $('clear').addEventListener('click', () => { $('entries').replaceChildren(); setDropped(0); });
  $('creator').addEventListener('submit', send);
  if (picker.value) watch(picker.value);
}

function watch(app) {
  state.app = app;
  history.replaceState(null, '', `#app=${encodeURIComponent(app)}`);
  state.source?.close();
  state.timers.forEach(clearInterval);
  $('entries').replaceChildren();
  state.held = [];
  state.last = null;
  state.series = { conn: [], sent: [], received: [] };
  setDropped(0);
  const source = new EventSource(appUrl('feed'));
  state.source = source;
  source.addEventListener('ready', () => setStatus('live', true));
  source.addEventListener('entry', (e) => receive(JSON.parse(e.data)));
  source.addEventListener('dropped', (e) => setDropped(state.dropped + Number(e.data)));
  source.onerror = () => setStatus('disconnected, retrying…', false);
  state.timers = [setInterval(channels, 2000), setInterval(stats, 1000)];
  channels();
  stats();
}

function setStatus(text, live) {
  $('status').textContent = text;
  $('status').classList.toggle('live', live);
}

function setDropped(n) {
  state.dropped = n;
  $('dropped').hidden = n === 0;
  $('dropped').textContent = `${n} entries dropped (the log fell behind)`;
}

function receive(entry) {
  if (!state.paused) return show(entry);
  if (state.held.length < MAX_HELD) state.held.push(entry);
  else setDropped(state.dropped + 1);
}

function togglePause() {
  state.paused = !state.paused;
  $('pause').textContent = state.paused ? `Resume` : 'Pause';
  if (!state.paused) { state.held.forEach(show); state.held = []; }
}

const DETAILS = ['socket', 'via', 'code', 'user', 'delivered', 'data', 'url', 'events', 'error', 'method', 'path', 'status', 'reason'];

function show(entry) {
  const li = document.createElement('li');
  li.className = `kind-${entry.kind}`;
  li.dataset.kind = entry.kind;
  li.dataset.channel = entry.channel || '';
  li.dataset.event = entry.event || '';
  const span = (cls, text) => { const s = document.createElement('span'); s.className = cls; s.textContent = text; li.append(s); };
  span('time', new Date(entry.at).toLocaleTimeString());
  span(`type ${entry.type}`, entry.type.replace(/_/g, ' '));
  if (entry.channel) span('channel', entry.channel);
  if (entry.event) span('event', entry.event);
  span('detail', DETAILS.filter((k) => entry[k] !== undefined && entry[k] !== '').map((k) => `${k}=${entry[k]}`).join(' '));
  li.hidden = !matches(li);
  const list = $('entries');
  list.prepend(li);
  while (list.childElementCount > MAX_SHOWN) list.lastElementChild.remove();
}

function matches(li) {
  const channel = $('filter-channel').value.trim();
  const event = $('filter-event').value.trim();
  const kind = $('filter-kind').value;
  return (!kind || li.dataset.kind === kind)
    && (!channel || li.dataset.channel.includes(channel))
    && (!event || li.dataset.event.includes(event));
}

function refilter() {
  for (const li of $('entries').children) li.hidden = !matches(li);
}

async function channels() {
  const app = state.app;
  const body = await request(appUrl('channels')).catch(() => null);
  if (!body || app !== state.app) return;
  const rows = body.channels.map((c) => {
    const tr = document.createElement('tr');
    const members = c.members ? c.members.map((m) => m.id).join(', ') : '';
    for (const text of [c.name, String(c.subscriptions), members]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $('channels').tBodies[0].replaceChildren(...rows);
  $('channel-total').textContent = body.total > rows.length ? `(${rows.length} of ${body.total})` : `(${body.total})`;
}

async function stats() {
  const app = state.app;
  const body = await request(appUrl('stats')).catch(() => null);
  if (!body || app !== state.app) return;
  const now = performance.now();
  const here = body.here;
  const s = state.series;
  if (state.last) {
    const secs = (now - state.last.at) / 1000 || 1;
    push(s.sent, Math.max(0, (here.messages_sent - state.last.sent) / secs));
    push(s.received, Math.max(0, (here.messages_received - state.last.received) / secs));
  }
  state.last = { at: now, sent: here.messages_sent, received: here.messages_received };
  push(s.conn, body.connections);
  $('connections').textContent = body.connections;
  $('by-protocol').textContent = `(here: ${here.pusher_connections} Pusher, ${here.socketio_connections} Socket.IO)`;
  $('rate-sent').textContent = (s.sent.at(-1) || 0).toFixed(1);
  $('rate-received').textContent = (s.received.at(-1) || 0).toFixed(1);
  draw($('chart-connections'), [[s.conn, '#2a7ae2']]);
  draw($('chart-messages'), [[s.sent, '#2a2'], [s.received, '#c60']]);
}

function push(series, value) {
  series.push(value);
  if (series.length > POINTS) series.shift();
}

function draw(canvas, lines) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  canvas.width = w * ratio;
  canvas.height = h * ratio;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...lines.flatMap(([series]) => series));
  g.fillStyle = '#888';
  g.font = '10px sans-serif';
  g.fillText(String(Math.round(max)), 2, 10);
  for (const [series, color] of lines) {
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    series.forEach((v, i) => {
      const x = (i / (POINTS - 1)) * w;
      const y = h - 2 - (v / max) * (h - 14);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
}

async function send(e) {
  e.preventDefault();
  const form = e.target;
  const out = $('sent');
  const body = { channel: form.channel.value.trim(), event: form.event.value.trim(), data: form.data.value };
  try {
    JSON.parse(body.data);
  } catch (err) {
    out.className = 'error';
    out.textContent = `Data is not JSON: ${err.message}`;
    return;
  }
  try {
    const answer = await request(appUrl('events'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    out.className = '';
    out.textContent = `Sent ${body.event} on ${body.channel} (${answer.delivered} subscribers here)`;
  } catch (err) {
    out.className = 'error';
    out.textContent = `Not sent: ${err.message}`;
  }
}

start().catch((err) => setStatus(`failed: ${err.message}`, false));
