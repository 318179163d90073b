// The chat page: sign in by name (the app answers a bearer token), then plain pusher-js joins the
// room's presence channel ("who is here") and the user's private channel (direct messages); both
// are authorized by the app's /broadcasting/auth with that token.
(() => {
  const $ = (id) => document.getElementById(id);
  const post = (url, body, headers = {}) => fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

  const line = (text, kind) => {
    const item = Object.assign(document.createElement('li'), { textContent: text, className: kind || '' });
    $('log').append(item);
  };

  const showMembers = (members) => {
    const list = $('members');
    const to = document.querySelector('#say select');
    list.replaceChildren();
    to.replaceChildren(new Option('everyone', ''));
    members.each((m) => {
      list.append(Object.assign(document.createElement('li'), { textContent: m.info.name }));
      if (m.id !== members.myID) to.append(new Option(m.info.name, m.id));
    });
  };

  async function join(name) {
    const config = await (await fetch('/config')).json();
    const { user, token } = await (await post('/login', { name })).json();
    const auth = { Authorization: `Bearer ${token}` };
    const pusher = new Pusher(config.key, {
      cluster: '', wsHost: config.wsHost, wsPort: config.wsPort, wssPort: config.wssPort,
      forceTLS: config.forceTLS, enabledTransports: ['ws', 'wss'],
      channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax', headers: auth },
    });
    pusher.connection.bind('state_change', ({ current }) => {
      $('state').textContent = current;
      $('state').dataset.state = current;
    });
    const room = config.rooms[0];
    const presence = pusher.subscribe(`presence-chat.${room}`);
    const update = () => showMembers(presence.members);
    presence.bind('pusher:subscription_succeeded', update);
    presence.bind('pusher:member_added', update);
    presence.bind('pusher:member_removed', update);
    presence.bind('MessageSent', (e) => line(`${e.from.name}: ${e.text}`));
    pusher.subscribe(`private-users.${user.id}`)
      .bind('DirectMessage', (e) => line(`${e.from.name} (to you): ${e.text}`, 'direct'));

    $('me').textContent = user.name;
    $('login').hidden = true;
    $('room').hidden = false;
    $('say').addEventListener('submit', async (event) => {
      event.preventDefault();
      const form = event.target;
      const text = form.text.value;
      const to = form.to.value;
      const response = to
        ? await post('/direct', { to: Number(to), text }, auth)
        : await post('/messages', { room, text }, { ...auth, 'X-Socket-ID': pusher.connection.socket_id });
      if (response.ok) line(`you${to ? ` (to ${form.to.selectedOptions[0].text})` : ''}: ${text}`);
      form.text.value = '';
    });
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    join(event.target.name.value);
  });
})();
