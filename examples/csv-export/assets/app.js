// The export page: connects Laravel Echo to the broadcaster, listens on the signed-in user's
// private channel, and turns the export's events into a progress bar and a message, with no reload.
// Every event received is also kept in window.exportEvents (handy in the console, and for the
// browser test).
(() => {
  const config = JSON.parse(document.getElementById('page-config').textContent);
  const $ = (id) => document.getElementById(id);
  const button = $('export');
  const status = $('status');
  window.exportEvents = [];

  // The one place that knows the connector: a Socket.IO page would build its Echo here from
  // { broadcaster: 'socket.io', host } and listen exactly as below.
  window.Echo = new Echo.default({
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

  // Echo's private() adds the "private-" prefix itself.
  const channel = window.Echo.private(config.channel.replace(/^private-/, ''));
  channel
    .subscribed(() => {
      document.body.dataset.live = 'subscribed';
      button.disabled = false;
    })
    .error((error) => show(`Live updates are unavailable (${error.status || error.type || 'error'}).`, 'error'))
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
