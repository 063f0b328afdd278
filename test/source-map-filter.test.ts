// The start bundle's source maps keep Portvakt's own code only (scripts/build.mjs).
import fs from 'node:fs/promises';
import { SourceMap } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { keepSources } from '../scripts/source-map-filter.mjs';

describe('keepSources', () => {
  it('maps kept code as before, and code from dropped sources to nothing (not to the kept code before it)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-maps-'));
    await fs.mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    await fs.writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'),
      'export function helper(x) {\n  const doubled = x * 2;\n  return doubled + 1;\n}\nexport const table = [1, 2, 3].map((n) => n * n);\n');
    // Ours, then the dependency, then ours again in the bundle: code from a dropped source follows kept code.
    await fs.writeFile(path.join(dir, 'first.ts'), 'export function first(n: number): number {\n  const squared = n * n;\n  return squared - 1;\n}\n');
    await fs.writeFile(path.join(dir, 'main.ts'),
      "import { first } from './first.ts';\nimport { helper, table } from 'dep';\nexport function ours(input: number): number {\n  const value = helper(first(input));\n  return value + table.length;\n}\nconsole.log(ours(2));\n");
    const result = await build({ entryPoints: [path.join(dir, 'main.ts')], bundle: true, format: 'esm', platform: 'node', sourcemap: 'external', outfile: path.join(dir, 'out.js'), write: false, absWorkingDir: dir });
    const original = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map'))!.text) as { version: number; sources: string[]; mappings: string };
    const generated = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text.split('\n');
    const filtered = keepSources(original, (source: string) => !source.includes('node_modules/'));
    await fs.rm(dir, { recursive: true, force: true });

    expect(filtered.sources).toEqual(original.sources.filter((s) => !s.includes('node_modules/')));
    const before = new SourceMap(original as never);
    const after = new SourceMap(filtered as never);
    let kept = 0;
    let dropped = 0;
    generated.forEach((text, line) => {
      for (let column = 0; column < text.length; column++) {
        const was = before.findEntry(line, column) as { originalSource?: string; originalLine?: number; originalColumn?: number };
        const now = after.findEntry(line, column) as { originalSource?: string; originalLine?: number; originalColumn?: number };
        if (!was.originalSource) continue;
        if (was.originalSource.includes('node_modules/')) {
          dropped++;
          expect(now.originalSource, `line ${line} column ${column}`).toBeUndefined();
        } else {
          kept++;
          expect([now.originalSource, now.originalLine, now.originalColumn]).toEqual([was.originalSource, was.originalLine, was.originalColumn]);
        }
      }
    });
    expect(kept).toBeGreaterThan(20);
    expect(dropped).toBeGreaterThan(20);
  });
});
