// Copies the browser builds of laravel-echo, pusher-js and socket.io-client (and their licences) from node_modules
// into assets/vendor/, which the app embeds; run after changing their versions in package.json.
// The e2e test checks the copies still match the installed packages.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const VENDORED = [
  ['laravel-echo/dist/echo.iife.js', 'echo.iife.js'],
  ['laravel-echo/LICENSE.md', 'laravel-echo.LICENSE.md'],
  ['pusher-js/dist/web/pusher.min.js', 'pusher.min.js'],
  ['pusher-js/dist/web/pusher.min.js.LICENSE.txt', 'pusher.min.js.LICENSE.txt'],
  ['pusher-js/LICENCE', 'pusher-js.LICENCE'],
  ['socket.io-client/dist/socket.io.min.js', 'socket.io.min.js'],
  ['socket.io-client/LICENSE', 'socket.io-client.LICENSE'],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(root, 'assets/vendor'), { recursive: true });
  for (const [from, to] of VENDORED) {
    copyFileSync(join(root, 'node_modules', from), join(root, 'assets/vendor', to));
  }
  console.log('vendored', VENDORED.map(([, to]) => to).join(', '));
}
