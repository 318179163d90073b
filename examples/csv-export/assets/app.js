// The export page: connects Laravel Echo to the broadcaster, listens on the signed-in user's
// private channel, and turns the export's events into a progress bar and a message, with no reload.
// The same script serves both connectors (Echo's options come from the page): only how the page
// learns that it is live differs. It shows what happens on the wire: a live indicator from Echo's
// connection state (#live) and each event received, by its wire name and channel (#events). Every
// event is also kept in window.exportEvents, and the connector in <body data-connector> (handy in
// the console, and for the browser test).
(() => {
  const config = JSON.parse(document.getElementById('page-config').textContent);
  const $ = (id) => document.getElementById(id);
  const button = $('export');
  const status = $('status');
  window.exportEvents = [];

  const socketIo = config.echo.broadcaster === 'socket.io';
  document.body.dataset.connector = config.echo.broadcaster;
  // Pusher: Echo's own auth request to /broadcasting/auth. Socket.IO: Ressò makes that request.
  window.Echo = new Echo.default(socketIo ? config.echo : {
    ...config.echo,
    enabledTransports: ['ws', 'wss'],
    authEndpoint: '/broadcasting/auth',
  });

  const show = (text, kind) => {
    status.textContent = text;
    status.className = kind || '';
  };
  // The names on the wire: Echo's listen('ExportProgress') hears App\Events\ExportProgress.
  const WIRE = {
    ExportProgress: 'App\\Events\\ExportProgress',
    ExportCompleted: 'App\\Events\\ExportCompleted',
    ExportFailed: 'App\\Events\\ExportFailed',
    notification: 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated',
  };
  // Consecutive events of one name on one channel share a line, with a count.
  const logEvent = (name) => {
    const list = $('events');
    const last = list.lastElementChild;
    if (last && last.dataset.name === name) {
      last.dataset.count = Number(last.dataset.count) + 1;
      last.querySelector('.count').textContent = ` ×${last.dataset.count}`;
      return;
    }
    const item = document.createElement('li');
    Object.assign(item.dataset, { name, channel: config.channel, count: 1 });
    item.append(
      Object.assign(document.createElement('code'), { textContent: name }),
      ' on ',
      Object.assign(document.createElement('code'), { textContent: config.channel }),
      Object.assign(document.createElement('span'), { className: 'count' }),
    );
    list.append(item);
  };
  const record = (name) => (event) => {
    window.exportEvents.push({ name, event });
    logEvent(WIRE[name]);
    return event;
  };

  // The live indicator: connecting → connected; a lost connection shows as reconnecting.
  const LIVE_TEXT = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…', unavailable: 'Offline' };
  let everConnected = false;
  const indicator = (state) => {
    if (state === 'connected') everConnected = true;
    const shown = state === 'connecting' && everConnected ? 'reconnecting' : state;
    $('live').dataset.state = shown;
    $('live-text').textContent = LIVE_TEXT[shown];
  };

  // The page's list of exports, kept current by the events (a reload lists them from the server).
  const exportItem = (id, text, link) => {
    let item = document.querySelector(`#exports li[data-export="${id}"]`);
    if (!item) {
      item = document.createElement('li');
      item.dataset.export = id;
      $('exports').prepend(item);
    }
    item.textContent = `Export #${id} · ${text}`;
    if (link) item.append(' · ', Object.assign(document.createElement('a'), { href: link, textContent: 'Open the e-mail' }));
  };

  const setProgress = (percent) => {
    $('job').hidden = false;
    $('progress').value = percent;
    $('percent').textContent = `${percent}%`;
  };

  const live = (state) => {
    document.body.dataset.live = state;
    button.disabled = false;
  };
  const unavailable = (why) => show(`Live updates are unavailable (${why}).`, 'error');

  // Echo's private() adds the "private-" prefix itself.
  const channel = window.Echo.private(config.channel.replace(/^private-/, ''));
  if (socketIo) {
    // A Socket.IO server confirms no subscription (Echo's subscribed() and error() do nothing
    // there); it only reports a refusal, as subscription_error (channel, status).
    const { socket } = window.Echo.connector;
    if (socket.connected) { live('connected'); indicator('connected'); }
    socket.on('connect', () => { live('connected'); indicator('connected'); });
    socket.on('disconnect', () => indicator('reconnecting'));
    socket.io.on('reconnect_attempt', () => indicator('reconnecting'));
    socket.on('connect_error', (error) => unavailable(error.message || 'cannot connect'));
    socket.on('subscription_error', (name, code) => {
      if (name === config.channel) unavailable(code);
    });
  } else {
    // pusher-js's states: connecting, connected, unavailable, failed, disconnected.
    const { connection } = window.Echo.connector.pusher;
    const fromPusher = (state) => (state === 'connected' || state === 'connecting' ? state : 'unavailable');
    indicator(fromPusher(connection.state));
    connection.bind('state_change', ({ current }) => indicator(fromPusher(current)));
    channel
      .subscribed(() => live('subscribed'))
      .error((error) => unavailable(error.status || error.type || 'error'));
  }
  channel
    .listen('ExportProgress', (e) => {
      record('ExportProgress')(e);
      setProgress(e.percent);
      show(`Building your CSV: ${e.done} of ${e.total} rows…`);
      exportItem(e.export_id, `being built (${e.percent}%)`);
    })
    .listen('ExportCompleted', (e) => {
      record('ExportCompleted')(e);
      setProgress(100);
      show(`Your CSV export has been e-mailed to ${e.email}.`, 'success');
      if (e.mail_url) {
        const link = Object.assign(document.createElement('a'), { href: e.mail_url, textContent: 'Open the e-mail' });
        status.append(' ', link);
      }
      exportItem(e.export_id, `${e.rows} rows, e-mailed`, e.mail_url);
      button.disabled = false;
    })
    .listen('ExportFailed', (e) => {
      record('ExportFailed')(e);
      show(`The export failed: ${e.message}`, 'error');
      exportItem(e.export_id, `failed: ${e.message}`);
      button.disabled = false;
    })
    .notification((n) => {
      record('notification')(n);
      const item = document.createElement('li');
      item.textContent = n.message;
      $('notifications').append(item);
    });

  button.disabled = true;
  button.addEventListener('click', async () => {
    button.disabled = true;
    setProgress(0);
    show('Export queued…');
    try {
      const response = await fetch('/exports', {
        method: 'POST',
        headers: { 'X-Socket-ID': window.Echo.socketId() || '' },
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
    } catch (error) {
      show(`Could not start the export: ${error.message}`, 'error');
      button.disabled = false;
    }
  });
})();
