// The embedded Ressò's HTTP API (Pusher's `GET /apps/{id}/channels/{name}`), signed with the
// development app's credentials that the demo's in-process Ressò uses. A Socket.IO server confirms
// no subscription to the browser, so this is how the test knows a page's channel is live.
import { createHmac } from 'node:crypto';

export const DEV_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' };

/** Whether `channel` has a subscriber on the Ressò at `base` (`http://host:port`). */
export async function occupied(base, channel, app = DEV_APP) {
  const path = `/apps/${app.id}/channels/${channel}`;
  const params = new URLSearchParams({
    auth_key: app.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  });
  params.sort();
  // Pusher signs the query unescaped, keys sorted (the channel name is in the path).
  const query = decodeURIComponent(params.toString());
  const signature = createHmac('sha256', app.secret).update(`GET\n${path}\n${query}`).digest('hex');
  const response = await fetch(`${base}${path}?${params}&auth_signature=${signature}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()).occupied === true;
}

/** Resolves once `channel` is occupied, polling every 50 ms for at most `timeoutMs`. */
export async function untilOccupied(base, channel, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await occupied(base, channel))) {
    if (Date.now() > deadline) throw new Error(`${channel} has no subscriber on ${base}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
