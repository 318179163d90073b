// Laravel's /broadcasting/auth as a Laravel app with the `redis` broadcaster answers Ressò's Socket.IO
// endpoint, shared by the Socket.IO compat tests.

import http from 'node:http';

import { HOST, withBody } from './support.js';

export const USERS = { 1: 'Ann', 2: 'Bo' };

/**
 * Laravel's /broadcasting/auth as the RedisBroadcaster answers it. The user is whoever the
 * `laravel_session` cookie names; a request without the CSRF header Echo sends is refused (419),
 * as Laravel's middleware would; channels named `*denied*` are refused with 403.
 */
export async function startLaravelAuth() {
  const requests = [];
  const srv = http.createServer(
    withBody((req, res, body) => {
      const channel = new URLSearchParams(body).get('channel_name') ?? '';
      requests.push({ channel, body, headers: req.headers });
      const user = /laravel_session=(\d+)/.exec(req.headers.cookie ?? '')?.[1];
      const answer = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (!req.headers['x-csrf-token']) return answer(419, { message: 'CSRF token mismatch.' });
      if (!user || channel.includes('denied')) return answer(403, { message: 'Forbidden' });
      if (channel.startsWith('presence-')) {
        return answer(200, { channel_data: { user_id: Number(user), user_info: { id: Number(user), name: USERS[user] } } });
      }
      return answer(200, true);
    }),
  );
  await new Promise((resolve) => srv.listen(0, HOST, resolve));
  return {
    host: `http://${HOST}:${srv.address().port}`,
    requests,
    forChannel: (channel) => requests.filter((r) => r.channel === channel),
    close: () => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))),
  };
}
