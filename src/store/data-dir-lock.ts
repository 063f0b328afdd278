// One process at a time on an embedded database. PGlite is PostgreSQL in WebAssembly, with no
// postmaster to keep a second one out of its files (its own lock file names the same pretend
// process id in every process), and the embedded store keeps recent writes in its process's memory.
// A second Portvakt (or a `portvakt` command) on the same data directory would write the same files
// unseen by the first. So the directory is locked with a file that names the process holding it; a
// lock whose process no longer runs (killed), or whose id now belongs to another program, is taken over.
import fs from 'node:fs';
import { ConfigError } from '../config/error.js';

export interface DataDirLock {
  release(): void;
}

/**
 * Whether the process that wrote a lock may still hold it. Process ids are reused — in a container
 * Portvakt often gets the same one at every start — so one that is ours but whose lock this process
 * never took, or one that runs a program other than Node (where /proc tells), holds nothing.
 */
function mayHold(pid: number, file: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return held.has(file);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // (EPERM: it runs, as another user)
  }
  try {
    return /node/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc to ask (macOS): a running process may be a Portvakt
  }
}

/** Lock files this process holds, removed at exit too (an exit that skips closing the store). */
const held = new Set<string>();
let releaseAtExit = false;

export function lockDataDir(file: string): DataDirLock {
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (mayHold(holder, file)) {
      throw new ConfigError(
        `the embedded database is in use by another Portvakt (process ${holder}): stop it first, or give this one another PORTVAKT_DATA_DIR. ` +
          `(Several processes share one database with DATABASE_URL. If no process ${holder} runs, delete ${file}.)`,
      );
    }
    fs.rmSync(file, { force: true }); // its process is gone: the lock is stale
  }
  held.add(file);
  if (!releaseAtExit) {
    releaseAtExit = true;
    process.on('exit', () => { for (const lock of held) unlock(lock); });
  }
  return {
    release() {
      if (held.delete(file)) unlock(file);
    },
  };
}

function unlock(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
