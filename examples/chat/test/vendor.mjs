// Copies pusher-js's browser build (and its licences) from node_modules into assets/vendor/, which
// the app embeds; run after changing its version in package.json. The test checks the copies.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const VENDORED = [
  ['pusher-js/dist/web/pusher.min.js', 'pusher.min.js'],
  ['pusher-js/dist/web/pusher.min.js.LICENSE.txt', 'pusher.min.js.LICENSE.txt'],
  ['pusher-js/LICENCE', 'pusher-js.LICENCE'],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(root, 'assets/vendor'), { recursive: true });
  for (const [from, to] of VENDORED) {
    copyFileSync(join(root, 'node_modules', from), join(root, 'assets/vendor', to));
  }
  console.log('vendored', VENDORED.map(([, to]) => to).join(', '));
}
