// A TCP proxy in front of resso that can drop every connection at once the way a restarted load
// balancer or a lost network does: both TCP connections end (resetting the client's), no WebSocket
// close frame is sent either way. While dropped it refuses new connections, then lets them through
// again — to the same node, or to another one (`retarget`), as a load balancer may.

import net from 'node:net';

import { HOST } from './support.js';

/** Starts a proxy to `HOST:firstTarget` on a free loopback port. */
export async function startProxy(firstTarget) {
  let targetPort = firstTarget;
  const pairs = new Set();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, HOST);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const { port: listening } = server.address();
  return {
    url: `http://${HOST}:${listening}`,
    /** Resets every connection through the proxy and refuses new ones until `restore`. */
    drop() {
      down = true;
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    restore() {
      down = false;
    },
    /** Sends new connections to `HOST:port` from now on. */
    retarget(port) {
      targetPort = port;
    },
    close() {
      this.drop();
      server.close();
    },
  };
}
