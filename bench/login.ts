// npm run bench — full logins per second against Portvakt and, in the same run on the same
// machine, against a plain oidc-provider 9 (bench/reference-provider.ts). A login is:
// authorize → login page → submit (→ resume) → code → token (PKCE, client_secret_basic) → id_token
// verified against the JWKS. Prints logins/s, p50/p99 latency and provider CPU per login at
// concurrency 1 and 8, and the ratio to the reference. Loopback only; not a test.
//
// Steady state is what is compared: each target first serves BENCH_START_WARMUP_SECONDS of logins
// (the JIT needs thousands of requests before a program runs at full speed, and a bigger program
// needs more of them), each measurement follows a shorter warm-up at its own concurrency, and the
// targets take turns over several rounds (A B, then B A), so neither always runs on a warmer or
// cooler machine. Results of all rounds are added up per target and concurrency.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { cpuSeconds, threadSeconds } from './proc.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const START_WARMUP_SECONDS = Number(process.env.BENCH_START_WARMUP_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8').split(',').map(Number);
/** BENCH_GC=1: the providers trace their garbage collections, and each measurement prints what they cost. */
const TRACE_GC = !!process.env.BENCH_GC;
/** Extra node flags for the providers, e.g. BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=scratch/prof". */
const NODE_OPTIONS = [...(process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean), ...(TRACE_GC ? ['--trace-gc-nvp'] : [])];
const REDIRECT = 'http://localhost:7777/callback';
const SECRET = 'bench-secret-0123456789abcdefghijkl';
const PID = '28876895937';
/** Portvakt's keys, when the run uses Redis (REDIS_URL): its own, removed at the end. */
const REDIS_PREFIX = `portvakt-bench-${process.pid}:`;
/**
 * Portvakt's tables, when the run uses PostgreSQL (DATABASE_URL): a schema of its own, dropped at
 * the end. In the database's own schema a second run would meet the first one's signing keys,
 * sealed under a root secret that was generated in that run's (removed) data directory, and stop.
 */
const PG_SCHEMA = `portvakt_bench_${process.pid}`;

/** Runs one statement on the DATABASE_URL's database (outside Portvakt). */
async function onPostgres(statement: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** DATABASE_URL, working in PG_SCHEMA (as the README tells an operator to give Portvakt a schema of its own). */
function inBenchSchema(url: string): string {
  const inSchema = new URL(url);
  inSchema.searchParams.set('options', `-c search_path=${PG_SCHEMA}`);
  return inSchema.toString();
}

interface Target {
  name: string;
  issuer: string;
  process: ChildProcess;
  loginPath: RegExp;
  /** With BENCH_GC, the provider's --trace-gc-nvp lines since the last measurement began. */
  gcLines: string[];
}

/**
 * What garbage collection cost per login, from --trace-gc-nvp lines: the pauses of young-generation
 * collections (scavenges) and of full ones (mark-compact), and what survived into the old
 * generation, per V8 isolate: the main thread's, and each worker's (PGlite's thread). Pauses stop
 * that thread; V8's helper threads do more work beside them (in BENCH_THREADS' V8Worker).
 */
function gcPerLogin(lines: string[], logins: number): string {
  const byIsolate = new Map<string, { scavenge: number; markCompact: number; promoted: number }>();
  for (const line of lines) {
    const isolate = /^\[\d+:0x[0-9a-f]+:(\d+)\]/.exec(line)?.[1];
    const kind = / gc=(\w+)/.exec(line)?.[1];
    if (isolate === undefined || !kind) continue;
    const name = isolate === '0' ? 'main' : `worker ${isolate}`;
    const sums = byIsolate.get(name) ?? { scavenge: 0, markCompact: 0, promoted: 0 };
    const pause = Number(/ pause=([\d.]+)/.exec(line)?.[1] ?? 0);
    if (kind === 's') sums.scavenge += pause;
    else sums.markCompact += pause;
    sums.promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
    byIsolate.set(name, sums);
  }
  return [...byIsolate]
    .map(([name, sums]) => `${name}: scavenge ${(sums.scavenge / logins).toFixed(3)} ms, mark-compact ${(sums.markCompact / logins).toFixed(3)} ms, promoted ${(sums.promoted / logins / 1024).toFixed(1)} KB`)
    .join('; ');
}

async function start(name: string, args: string[], env: Record<string, string>, port: number, loginPath: RegExp): Promise<Target> {
  const child = spawn(process.execPath, [...NODE_OPTIONS, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const target: Target = { name, issuer: `http://localhost:${port}`, process: child, loginPath, gcLines: [] };
  let partial = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (/ready/.test(line)) resolve();
        else if (TRACE_GC) target.gcLines.push(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return target;
}

class Jar {
  private cookies = new Map<string, string>();
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  }
  get header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

async function login(target: Target, verify: (jwt: string) => Promise<unknown>): Promise<void> {
  const jar = new Jar();
  const go = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(url, target.issuer), { ...init, redirect: 'manual', headers: { ...(init.headers as object), cookie: jar.header } });
    jar.take(response);
    return response;
  };
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(8).toString('base64url');
  const nonce = crypto.randomBytes(8).toString('base64url');
  const query = new URLSearchParams({
    client_id: 'bench-client', response_type: 'code', scope: 'openid profile', redirect_uri: REDIRECT, state, nonce,
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  // The login page: where the authorization request redirects to (the reference), or its answer (Portvakt).
  const authorization = await go(`/authorize?${query}`);
  let page: string;
  let toLogin = authorization.headers.get('location');
  if (toLogin) {
    if (!target.loginPath.test(toLogin)) throw new Error(`unexpected redirect ${toLogin}`);
    page = await (await go(toLogin)).text();
  } else {
    page = await authorization.text();
    toLogin = /<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? '';
    if (!target.loginPath.test(toLogin)) throw new Error(`no login form in ${authorization.status} ${page.slice(0, 200)}`);
  }
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  // Then redirects until the client's callback: the reference sends the browser to its resume
  // address first, Portvakt resumes in the form's own request.
  let next = (await go(toLogin, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, pid: PID, acr: 'idporten-loa-substantial', action: 'login' }) })).headers.get('location');
  for (let hops = 0; next && !next.startsWith(REDIRECT) && hops < 3; hops++) next = (await go(next)).headers.get('location');
  if (!next?.startsWith(REDIRECT)) throw new Error(`${target.name} did not return to the client: ${next}`);
  const callback = new URL(next);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`no code: ${callback}`);
  const token = await fetch(`${target.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`bench-client:${SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });
  const tokens = (await token.json()) as { id_token?: string; access_token?: string };
  if (!tokens.id_token) throw new Error(`token error: ${JSON.stringify(tokens)}`);
  if (tokens.access_token?.split('.').length !== 3) throw new Error(`${target.name} did not issue a JWT access token`);
  await verify(tokens.id_token);
}

interface Result { concurrency: number; logins: number; seconds: number; latencies: number[]; cpuSeconds: number }

/** Keeps `concurrency` logins in flight for `seconds`; returns each login's latency. */
async function load(target: Target, verify: (jwt: string) => Promise<unknown>, concurrency: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      await login(target, verify);
      latencies.push(performance.now() - t);
    }
  }));
  return latencies;
}

function verifierFor(target: Target) {
  return fetch(`${target.issuer}/jwks.json`).then(async (response) => {
    const jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
    return (jwt: string) => jwtVerify(jwt, jwks, { issuer: target.issuer, audience: 'bench-client' });
  });
}

async function warmUp(target: Target): Promise<void> {
  await load(target, await verifierFor(target), Math.max(...CONCURRENCY), START_WARMUP_SECONDS);
}

async function run(target: Target, concurrency: number): Promise<Result> {
  const verify = await verifierFor(target);
  await load(target, verify, concurrency, WARMUP_SECONDS);
  const cpuBefore = cpuSeconds(target.process.pid!);
  const threadsBefore = threadSeconds(target.process.pid!);
  const driverBefore = process.cpuUsage();
  target.gcLines = [];
  const started = performance.now();
  const latencies = await load(target, verify, concurrency, SECONDS);
  if (TRACE_GC) process.stderr.write(`${target.name}, concurrency ${concurrency}, GC per login: ${gcPerLogin(target.gcLines, latencies.length)}\n`);
  if (process.env.BENCH_THREADS) {
    const driver = process.cpuUsage(driverBefore);
    const perLogin = [...threadSeconds(target.process.pid!)].map(([name, s]) => `${name} ${(((s - (threadsBefore.get(name) ?? 0)) * 1000) / latencies.length).toFixed(2)}`);
    process.stderr.write(`${target.name}, concurrency ${concurrency}, CPU ms/login by thread: ${perLogin.join(', ')}; the driver's own: ${((driver.user + driver.system) / 1000 / latencies.length).toFixed(2)}\n`);
  }
  return { concurrency, logins: latencies.length, seconds: (performance.now() - started) / 1000, latencies, cpuSeconds: cpuSeconds(target.process.pid!) - cpuBefore };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Row { target: string; concurrency: number; logins: number; perSecond: number; p50: number; p99: number; cpuMs: number; roundRatios: number[] }

/** Adds up the rounds of one target at one concurrency. */
function summarise(target: string, results: Result[], roundRatios: number[]): Row {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  const cpu = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { target, concurrency: results[0]!.concurrency, logins: latencies.length, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), cpuMs: (cpu * 1000) / latencies.length, roundRatios };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portvakt-bench-'));
  const clientsFile = path.join(dataDir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'bench-client', client_secret: SECRET, redirect_uris: [REDIRECT] }] }));
  // Both providers run as plain JavaScript on node: Portvakt as `npm start` runs it (dist/, which
  // `npm run bench` builds first), the reference transpiled the same way.
  await build({ entryPoints: ['bench/reference-provider.ts'], outfile: 'dist/bench/reference-provider.js', format: 'esm', platform: 'node', target: 'node22', logLevel: 'warning' });
  const targets: Target[] = [];
  // A target that fails to start stops the run, and takes the one already started with it.
  process.once('exit', () => { for (const t of targets) t.process.kill(); });
  const rows: Row[] = [];
  try {
    targets.push(await start('oidc-provider 9 (memory, same signatures)', ['dist/bench/reference-provider.js', '9191'], {}, 9191, /^\/interaction\//));
    if (process.env.DATABASE_URL) await onPostgres(`create schema ${PG_SCHEMA}`);
    targets.push(await start(`Portvakt (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}${process.env.REDIS_URL ? ' + Redis' : ''})`, ['dist/cli.js', 'start'], {
      PORT: '9192', HOST: '127.0.0.1', PORTVAKT_DATA_DIR: dataDir, PORTVAKT_CONFIG: clientsFile, PORTVAKT_REDIS_PREFIX: REDIS_PREFIX, LOG_LEVEL: 'warn',
      ...(process.env.DATABASE_URL ? { DATABASE_URL: inBenchSchema(process.env.DATABASE_URL) } : {}),
    }, 9192, /\/authorize\/[\w-]+\/login$/));
    for (const target of targets) await warmUp(target);
    for (const concurrency of CONCURRENCY) {
      const results = new Map<Target, Result[]>(targets.map((t) => [t, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of round % 2 === 0 ? targets : [...targets].reverse()) results.get(target)!.push(await run(target, concurrency));
      }
      // Each round's two runs are adjacent in time, so their ratio is the least disturbed by the VM's
      // slow spells (which hit the driver and both providers alike); the median of those ratios is
      // printed beside the ratio of the summed rates.
      const referenceTarget = targets[0]!;
      const rate = (r: Result) => r.logins / r.seconds;
      for (const [target, rounds] of results) {
        rows.push(summarise(target.name, rounds, rounds.map((r, i) => rate(r) / rate(results.get(referenceTarget)![i]!))));
      }
    }
  } finally {
    // SIGINT lets a provider started with --cpu-prof write its profile before it exits.
    await Promise.all(targets.map((t) => new Promise((resolve) => { t.process.once('exit', resolve); t.process.kill('SIGINT'); })));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (process.env.DATABASE_URL) await onPostgres(`drop schema if exists ${PG_SCHEMA} cascade`);
    if (process.env.REDIS_URL) {
      // Every login left a session and a grant in Redis (they would expire in hours): remove them.
      const { Redis } = await import('ioredis');
      const { deleteRedisPrefix } = await import('../src/store/redis.js');
      const client = new Redis(process.env.REDIS_URL);
      await deleteRedisPrefix(client, REDIS_PREFIX);
      client.disconnect();
    }
  }
  const reference = (c: number) => rows.find((r) => r.concurrency === c && r.target.startsWith('oidc-provider'))!;
  const lines = [
    `| target | concurrency | logins | logins/s | p50 ms | p99 ms | provider CPU ms/login | ratio (logins/s) | ratio per round (median) |`,
    `|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((r) => `| ${r.target} | ${r.concurrency} | ${r.logins} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMs.toFixed(2)} | ${(r.perSecond / reference(r.concurrency).perSecond).toFixed(2)}× | ${r.roundRatios.map((x) => x.toFixed(2)).join(' ')} (${median(r.roundRatios).toFixed(2)}×) |`),
  ];
  process.stdout.write(`\n${START_WARMUP_SECONDS} s of warm-up per target, then ${ROUNDS} rounds of ${SECONDS} s per target and concurrency, each after ${WARMUP_SECONDS} s of warm-up; ${os.cpus().length} cores, Node ${process.version}\n\n${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
