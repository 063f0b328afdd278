// Portvakt's one stylesheet: Digdir's Designsystemet — the digdir theme and the components, the look
// Norwegian public services share — and, after them, the few rules of our own page frame
// (static/portvakt.css). One file, so a page costs one request for its styles; its address carries
// a digest of the content, so browsers may keep it until it changes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
// From src/ui/ and from the bundle's chunks in dist/ alike (scripts/build.mjs copies static/ to dist/ui/).
const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'ui', 'static');

/** The stylesheet's bytes (read once, at start). */
export const STYLESHEET: Buffer = Buffer.concat(
  [
    require.resolve('@digdir/designsystemet-theme/digdir.css'),
    require.resolve('@digdir/designsystemet-css'),
    path.join(STATIC_DIR, 'portvakt.css'),
  ].flatMap((file) => [fs.readFileSync(file), Buffer.from('\n')]),
);

export const STYLESHEET_PATH = '/static/portvakt.css';

/** Where pages link the stylesheet: its path, versioned by its content. */
export const STYLESHEET_HREF = `${STYLESHEET_PATH}?v=${crypto.createHash('sha256').update(STYLESHEET).digest('base64url').slice(0, 12)}`;
