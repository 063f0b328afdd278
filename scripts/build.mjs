// `npm start` runs Portvakt from dist/, built here from src/ (npm runs this first, as `prestart`).
//
// Each module is transpiled on its own (no bundling, so stack traces and the source maps beside the
// files point at the module that threw). Running the TypeScript through a loader instead (tsx) cost
// a start more than half a second on a small machine: every one of the ~1 000 modules Portvakt
// loads was resolved and loaded through the loader's hooks. Types are checked by
// `npm run typecheck`, not here.
//
// Nothing is rebuilt when dist/ is newer than everything in src/, this script and the lock file
// (which pins esbuild): a repeated `npm start` costs a few milliseconds here, an edited file a build
// of about a third of a second.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');
const stamp = path.join(out, '.built');

const entries = await fs.readdir(src, { recursive: true });
// Directories count too: deleting or renaming a module changes its directory's time.
const newestSource = Math.max(
  ...(await Promise.all([src, fileURLToPath(import.meta.url), path.join(root, 'package-lock.json'), ...entries.map((entry) => path.join(src, entry))].map(async (file) => (await fs.stat(file)).mtimeMs))),
);
const built = await fs.stat(stamp).then((s) => s.mtimeMs, () => 0);

if (built < newestSource) {
  const { build } = await import('esbuild');
  // A fresh directory, so that a module deleted from src/ cannot linger in dist/.
  await fs.rm(out, { recursive: true, force: true });
  await build({
    entryPoints: entries.filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts')).map((file) => path.join(src, file)),
    outdir: out,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: true,
    logLevel: 'warning',
  });
  // Files read at run time, next to the modules that read them.
  await fs.cp(path.join(src, 'ui', 'static'), path.join(out, 'ui', 'static'), { recursive: true });
  await fs.writeFile(stamp, `${new Date().toISOString()}\n`);
}
