// The operator's commands, run as a user runs them: `npm run portvakt -- …` and `npm start` run the
// bundle in dist/ (scripts/build.mjs, which npm runs first), on a data directory of their own.
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { CookieBrowser, loginWithTestId } from './helpers/browser.js';
import { within } from './helpers/wait.js';

const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  await run(process.execPath, ['scripts/build.mjs']);
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-cli-'));
  await fs.cp(inject('pgliteTemplate'), dataDir, { recursive: true });
}, 60_000);
afterAll(async () => fs.rm(dataDir, { recursive: true, force: true }));

/** The environment of a command: this test's data directory, the embedded store, no Redis unless given. */
const cliEnv = (extra: Record<string, string> = {}) => ({ ...process.env, PORTVAKT_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', ...extra });

async function portvakt(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--enable-source-maps', 'dist/cli.js', ...args], { env: cliEnv() });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('portvakt CLI', () => {
  it('adds an organisation, grants a role, creates an integration and lists it', async () => {
    expect((await portvakt('orgs', 'add', '974760673', 'Brønnøysundregistrene')).out).toContain('974760673\tBrønnøysundregistrene');
    expect((await portvakt('roles', 'grant', '28876895937', 'integration_admin', '974760673')).code).toBe(0);
    const file = path.join(dataDir, 'client.json');
    await fs.writeFile(file, JSON.stringify({ client_name: 'CLI', redirect_uris: ['http://localhost:3000/cb'] }));
    const created = await portvakt('clients', 'add', '974760673', file);
    expect(created.out).toMatch(/client_secret \(shown once\): \S{40,}/);
    const clientId = /created (\S+)/.exec(created.out)![1]!;
    expect((await portvakt('clients', 'list', '974760673')).out).toContain(clientId);
    expect((await portvakt('clients', 'delete', clientId)).out).toContain(`deleted ${clientId}`);
    expect((await portvakt('clients', 'list', '974760673')).out).not.toContain(clientId);
  }, 90_000);

  it('gives an organisation a prefix for its API scopes, refuses one another has, and lists the scopes', async () => {
    expect((await portvakt('scopes', 'prefix', 'brreg', '974760673')).out).toContain('974760673 may register scopes under brreg:');
    const taken = await portvakt('scopes', 'prefix', 'brreg', '312000008');
    expect(taken.code).toBe(2);
    expect(taken.err).toContain('the prefix "brreg" belongs to 974760673');
    expect((await portvakt('scopes', 'prefix', 'Brreg!', '974760673')).err).toContain('prefix must be 1 to 40 characters');
    expect((await portvakt('scopes', 'list')).code).toBe(0);
  }, 90_000);

  it('a command whose reader has gone (portvakt keys list | head -0) ends quietly', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'keys', 'list'], { env: cliEnv() });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code).toBe(0);
  }, 60_000);

  it('refuses bad input with a message and exit code 2', async () => {
    const bad = await portvakt('orgs', 'add', '123456789', 'Feil');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('not a valid organisation number');
    const usage = await portvakt('nonsense');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('usage: portvakt');
  }, 60_000);

  it('rotates keys', async () => {
    const before = await portvakt('keys', 'list');
    const rotated = await portvakt('keys', 'rotate');
    expect(rotated.out).toContain('signing with');
    const nextKid = /next\s+(\S+)/.exec(before.out)![1]!;
    expect(rotated.out).toContain(`signing with ${nextKid}`);
  }, 60_000);
});

describe('portvakt start', () => {
  it('serves discovery, keys and its pages from the build, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/cli.js', 'start'], {
      env: cliEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }),
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    try {
      await Promise.race([
        new Promise<void>((resolve) => child.stdout.on('data', () => { if (output.includes('ready in')) resolve(); })),
        exited.then((code) => { throw new Error(`exited with ${code}: ${output}`); }),
      ]);
      const issuer = `http://localhost:${port}`;
      expect(output).toContain(`issuer     ${issuer}`);
      expect(output).toContain('events     a client\'s failed calls are logged below'); // and they are (see below)
      expect(output).not.toMatch(/DeprecationWarning|Warning:/); // a start prints what the operator needs, no noise
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
      expect(discovery.issuer).toBe(issuer);
      expect(((await (await fetch(discovery.jwks_uri)).json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
      const stylesheet = await fetch(`${issuer}/static/portvakt.css`); // a file the build copies beside the modules
      expect(stylesheet.status).toBe(200);
      expect(await stylesheet.text()).toContain('{');
      // A whole login through the bundle: the demo client, TestID, code, tokens, the demo's page.
      const browser = new CookieBrowser();
      const callback = await loginWithTestId(browser, `${issuer}/demo/login`, `${issuer}/demo/callback`, { pid: '28876895937' });
      expect(callback).toContain('code=');
      const demoPage = await browser.follow(callback);
      expect(demoPage.status).toBe(200);
      expect(demoPage.body).toContain('28876895937');
      // A client's mistake is told in the terminal too (a test environment logs failures at info).
      const demoClientId = /demo client (\S+)/.exec(output)![1]!;
      const wrong = await fetch(`${issuer}/authorize?client_id=${demoClientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://localhost:1/cb')}&state=s&nonce=n`, { redirect: 'manual' });
      expect(wrong.status).toBe(400);
      const told = `"msg":"authorize failed for client ${demoClientId}: invalid_redirect_uri (redirect_uri did not match any of the client's registered redirect_uris)"`;
      await within(5000, async () => output.includes(told));
      expect(output).toContain(told);
      // Node's compile cache for the next start, kept in the data directory (not a shared temp dir)
      expect((await fs.readdir(path.join(dataDir, 'compile-cache'))).length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('keeps serving when whoever read its output has gone (npm start | head -3)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/cli.js', 'start'], { env: cliEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }) });
    child.stdout.destroy(); // the reader is gone before the banner is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const issuer = `http://localhost:${port}`;
    try {
      const serving = () => fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
      expect(await within(30_000, serving)).toBe(true);
      // A client's failure is logged at info: one more write to the closed output, still no harm.
      await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'nobody' }) });
      expect(await serving()).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  }, 60_000);

  it('a port in use stops the start with a message that says what to do, not a stack trace', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { code, err } = await startFails({ PORT: String(port) });
      expect(code).toBe(2);
      expect(err).toContain(`port ${port} is already in use`);
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
  }, 60_000);

  it.each([
    ['PostgreSQL', { DATABASE_URL: 'postgres://portvakt:s3cret-pw@127.0.0.1:1/portvakt?password=s3cret-pw' }, 'DATABASE_URL: cannot use PostgreSQL at postgres://127.0.0.1:1/portvakt (ECONNREFUSED)'],
    ['Redis', { REDIS_URL: 'redis://:s3cret-pw@127.0.0.1:1' }, 'REDIS_URL: cannot use Redis at redis://127.0.0.1:1 (ECONNREFUSED)'],
  ])('a %s it cannot reach stops the start with a message that names it (without its password)', async (_name, env: Record<string, string>, message) => {
    const { code, err } = await startFails({ PORT: String(await freePort()), ...env });
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).not.toContain('s3cret-pw');
    expect(err).not.toMatch(/\n\s+at /);
    // The embedded database, already opening beside Redis, was closed before the exit: PGlite
    // removes its lock file only then (a start that died with it open once left the directory unreadable).
    await expect(fs.access(path.join(dataDir, 'db', 'postmaster.pid'))).rejects.toThrow();
  }, 60_000);
});

describe('one process at a time on an embedded database', () => {
  it('a command while the server runs is refused with a message naming that process; a stale lock is taken over', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'start'], { env: cliEnv({ PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      expect(await within(30_000, async () => output.includes('ready in'))).toBe(true);
      const refused = await portvakt('keys', 'list');
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(`the embedded database is in use by another Portvakt (process ${child.pid})`);
      expect(refused.err).not.toMatch(/\n\s+at /);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const lockFile = path.join(dataDir, 'db.lock');
    await expect(fs.access(lockFile)).rejects.toThrow(); // released on the way out

    // A lock left by a process that no longer runs (killed) does not keep anyone out.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    await fs.writeFile(lockFile, String(gone.pid));
    expect((await portvakt('keys', 'list')).code).toBe(0);
    await expect(fs.access(lockFile)).rejects.toThrow();
  }, 60_000);
});

describe('a signal during the start', () => {
  it('closes the embedded database before the process ends (exit 130 on SIGINT)', async () => {
    // A "Redis" that accepts and never answers holds the start while PGlite is already open.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const child = spawn(process.execPath, ['dist/cli.js', 'start'], {
      env: cliEnv({ PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', REDIS_URL: `redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}` }),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lockFile = path.join(dataDir, 'db', 'postmaster.pid');
    try {
      expect(await within(10_000, async () => fs.access(lockFile).then(() => true, () => false))).toBe(true); // PGlite is open
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).not.toMatch(/\n\s+at /);
      await expect(fs.access(lockFile)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
      silent.close();
    }
  }, 60_000);
});

/** `portvakt start` that is expected to stop by itself: its exit code and standard error. */
async function startFails(env: Record<string, string>): Promise<{ code: number; err: string }> {
  return run(process.execPath, ['dist/cli.js', 'start'], { env: cliEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env }) })
    .then(() => ({ code: 0, err: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('the audit log', () => {
  it('records organisations and roles added from the command line', async () => {
    const { openStore } = await import('../src/store/db.js');
    const store = await openStore({ dataDir });
    try {
      const rows = await store.db.selectFrom('audit_log').select(['action', 'actor_kind', 'orgno']).orderBy('id').execute();
      expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['organisation.create', 'role.grant', 'client.create', 'client.delete']));
      expect(rows.every((r) => r.actor_kind === 'cli')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('in production, applies the terms of use as the portal and the API do: no integration before they are accepted', async () => {
    const prodDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-cli-prod-'));
    const env = { PORTVAKT_DATA_DIR: prodDir, PORTVAKT_ENVIRONMENT: 'prod', PORTVAKT_SECRET: 'a-production-root-secret-0123456789abcdef', PORTVAKT_TERMS_URL: 'https://operator.example/bruksvilkar' };
    const inProduction = async (...args: string[]) => {
      try {
        const { stdout } = await run(process.execPath, ['dist/cli.js', ...args], { env: cliEnv(env) });
        return { code: 0, out: stdout, err: '' };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout, err: e.stderr };
      }
    };
    try {
      expect((await inProduction('orgs', 'add', '974760673', 'Brønnøysundregistrene')).code).toBe(0);
      const file = path.join(prodDir, 'client.json');
      await fs.writeFile(file, JSON.stringify({ client_name: 'CLI', redirect_uris: ['https://tjeneste.example/cb'] }));
      const refused = await inProduction('clients', 'add', '974760673', file);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('974760673 has not accepted the terms of use (version 1, https://operator.example/bruksvilkar)');
      expect((await inProduction('clients', 'list', '974760673')).out).toBe('');
    } finally {
      await fs.rm(prodDir, { recursive: true, force: true });
    }
  }, 60_000);
});
