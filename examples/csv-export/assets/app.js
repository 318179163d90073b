// The export page: connects Laravel Echo to the broadcaster, listens on the signed-in user's
// private channel, and turns the export's events into a progress bar and a message, with no reload.
// The same script serves both connectors (Echo's options come from the page): only how the page
// learns that it is live differs. Every event received is also kept in window.exportEvents, and the
// connector in <body data-connector> (handy in the console, and for the browser test).
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
  const record = (name) => (event) => {
    window.exportEvents.push({ name, event });
    return event;
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
    if (socket.connected) live('connected');
    socket.on('connect', () => live('connected'));
    socket.on('connect_error', (error) => unavailable(error.message || 'cannot connect'));
    socket.on('subscription_error', (name, code) => {
      if (name === config.channel) unavailable(code);
    });
  } else {
    channel
      .subscribed(() => live('subscribed'))
      .error((error) => unavailable(error.status || error.type || 'error'));
  }
  channel
    .listen('ExportProgress', (e) => {
      record('ExportProgress')(e);
      setProgress(e.percent);
      show(`Building your CSV: ${e.done} of ${e.total} rows…`);
    })
    .listen('ExportCompleted', (e) => {
      record('ExportCompleted')(e);
      setProgress(100);
      show(`Your CSV export has been e-mailed to ${e.email}.`, 'success');
      if (e.mail_url) {
        const link = Object.assign(document.createElement('a'), { href: e.mail_url, textContent: 'Open the e-mail' });
        status.append(' ', link);
      }
      button.disabled = false;
    })
    .listen('ExportFailed', (e) => {
      record('ExportFailed')(e);
      show(`The export failed: ${e.message}`, 'error');
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
