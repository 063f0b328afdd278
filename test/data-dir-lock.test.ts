// The embedded database's lock (src/store/data-dir-lock.ts): held once, refused while held, taken
// over when whoever wrote it cannot hold it any more.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../src/store/data-dir-lock.js';
import { ConfigError } from '../src/config/error.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portvakt-lock-'));
const file = path.join(dir, 'db.lock');
afterEach(() => fs.rmSync(file, { force: true }));

describe('the data directory lock', () => {
  it('is refused while held, also within one process, and free again once released', () => {
    const lock = lockDataDir(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(file)).toThrow(ConfigError);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lockDataDir(file).release();
  });

  it('is taken over from a process that no longer runs', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    fs.writeFileSync(file, String(gone.pid));
    lockDataDir(file).release();
  });

  it('is taken over when its id is ours but this process never took it (a container restarted with the same pid)', () => {
    fs.writeFileSync(file, String(process.pid));
    lockDataDir(file).release();
  });

  it.runIf(fs.existsSync('/proc/self/cmdline'))('is taken over when its id now belongs to another program', async () => {
    const other = spawn('sleep', ['10']);
    try {
      fs.writeFileSync(file, String(other.pid));
      lockDataDir(file).release();
    } finally {
      other.kill();
    }
  });

  it('is refused while another Node process holds it', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      fs.writeFileSync(file, String(holder.pid));
      expect(() => lockDataDir(file)).toThrow(new RegExp(`in use by another Portvakt \\(process ${holder.pid}\\)`));
    } finally {
      holder.kill();
    }
  });
});
