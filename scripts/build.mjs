// `npm start` runs Portvakt from dist/, built here from src/ (npm runs this first, as `prestart`).
//
// Portvakt and most of its dependencies are bundled (dist/cli.js, and dist/chunks/ for what the CLI
// imports on demand): loading ~1 400 modules one by one (resolving, stat-ing and reading each) was
// a fifth of a second of every start, and running the TypeScript through a loader (tsx) more than
// half a second. The source maps keep only Portvakt's own code (scripts/source-map-filter.mjs), so
// `--enable-source-maps` maps its stack frames back to src/ without decoding 2 MB of mappings at
// every start. Types are checked by `npm run typecheck`, not here.
//
// Nothing is rebuilt when dist/ is newer than everything in src/, these scripts and the lock file
// (which pins esbuild and the bundled dependencies): a repeated `npm start` costs a few milliseconds
// here, an edited file a build of about a second.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_ESM } from './esbuild-node.mjs';
import { keepSources } from './source-map-filter.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');
const stamp = path.join(out, '.built');

/**
 * Dependencies loaded from node_modules as they are, not bundled: each finds files of its own next
 * to its modules at run time (PGlite its WebAssembly and data, the API docs their static assets,
 * pino its transport worker, @fastify/swagger its package.json) or is loaded only with PostgreSQL (pg).
 */
const NOT_BUNDLED = ['@electric-sql/pglite', '@fastify/swagger', '@fastify/swagger-ui', 'pino', 'pg'];

const entries = await fs.readdir(src, { recursive: true });
// Directories count too: deleting or renaming a module changes its directory's time.
const scripts = ['build.mjs', 'esbuild-node.mjs', 'source-map-filter.mjs'].map((file) => path.join(root, 'scripts', file));
const newestSource = Math.max(
  ...(await Promise.all([src, ...scripts, path.join(root, 'package-lock.json'), ...entries.map((entry) => path.join(src, entry))].map(async (file) => (await fs.stat(file)).mtimeMs))),
);
const built = await fs.stat(stamp).then((s) => s.mtimeMs, () => 0);

if (built < newestSource) {
  const { build } = await import('esbuild');
  // A fresh directory, so that nothing from an earlier build lingers in dist/.
  await fs.rm(out, { recursive: true, force: true });
  const result = await build({
    entryPoints: [path.join(src, 'cli.ts')],
    outdir: out,
    // One directory below dist/, as src/http/ is below src/: the server finds the static files
    // one level up (dist/ui/static, copied below) in both.
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    external: NOT_BUNDLED,
    ...NODE_ESM,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: true,
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
  });
  await Promise.all(result.outputFiles.map(async (file) => {
    await fs.mkdir(path.dirname(file.path), { recursive: true });
    const text = file.path.endsWith('.map')
      ? JSON.stringify(keepSources(JSON.parse(file.text), (source) => !source.includes('node_modules/')))
      : file.contents;
    await fs.writeFile(file.path, text);
  }));
  // Files read at run time.
  await fs.cp(path.join(src, 'ui', 'static'), path.join(out, 'ui', 'static'), { recursive: true });
  await fs.writeFile(stamp, `${new Date().toISOString()}\n`);
}
