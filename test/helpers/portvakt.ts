// Starts a real Portvakt on a free port, on PGlite (a copy of the prepared template) or on
// PostgreSQL (its own schema), with the clients a test declares in a real client file; in the
// Redis project (vitest.config.ts) with the provider's state in Redis under a key prefix of its own.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createPortvakt, type Portvakt } from '../../src/app.js';
import { deleteRedisPrefix } from '../../src/store/redis.js';

export interface TestPortvakt {
  issuer: string;
  portvakt: Portvakt;
  dataDir: string;
  schema: string | undefined;
  /** Key prefix in Redis, when the test runs with Redis. */
  redisPrefix: string | undefined;
  /** Stops and starts again on the same port, data and schema; `env` changes its environment from then on. */
  restart(env?: Record<string, string>): Promise<TestPortvakt>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface StartOptions {
  clients?: unknown[];
  /** API scopes declared in the same client file. */
  scopes?: unknown[];
  /** Fullmakt relations declared in the same client file. */
  fullmakter?: unknown[];
  env?: Record<string, string>;
  /** Join another Portvakt's PostgreSQL schema (a second node of the same installation). */
  schema?: string;
  /** With it, join that node's Redis keys too. */
  redisPrefix?: string;
}

export async function startPortvakt(options: StartOptions = {}): Promise<TestPortvakt> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'portvakt-test-'));
  const usePostgres = process.env.PORTVAKT_TEST_STORE === 'postgres';
  if (!usePostgres) await fs.cp(inject('pgliteTemplate'), dataDir, { recursive: true });
  const schema = options.schema ?? (usePostgres ? `t_${crypto.randomBytes(6).toString('hex')}` : undefined);
  const ownsSchema = !options.schema;
  const useRedis = process.env.PORTVAKT_TEST_REDIS === 'true';
  const redisPrefix = useRedis ? options.redisPrefix ?? `portvakt-test-${crypto.randomBytes(6).toString('hex')}:` : undefined;
  const owned = { schema: schema && ownsSchema ? schema : undefined, redisPrefix: redisPrefix && !options.redisPrefix ? redisPrefix : undefined };
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PORTVAKT_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.PORTVAKT_TEST_LOG ?? 'silent',
    ...(usePostgres ? { DATABASE_URL: process.env.DATABASE_URL! } : {}),
    ...(redisPrefix ? { REDIS_URL: process.env.REDIS_URL!, PORTVAKT_REDIS_PREFIX: redisPrefix } : {}),
    ...options.env,
  };
  if (options.clients || options.scopes || options.fullmakter) {
    const file = path.join(dataDir, 'clients.json');
    const { scopes, fullmakter } = options;
    await fs.writeFile(file, JSON.stringify({ clients: options.clients ?? [], ...(scopes ? { scopes } : {}), ...(fullmakter ? { fullmakter } : {}) }));
    env.PORTVAKT_CONFIG = file;
  }
  try {
    return await boot(env, dataDir, schema, owned);
  } catch (err) {
    // A start that fails (as some tests intend) leaves nothing behind.
    await fs.rm(dataDir, { recursive: true, force: true });
    await removeOwned(owned);
    throw err;
  }
}

/** What a node created for itself (not what it joined), removed when it closes. */
interface Owned {
  schema: string | undefined;
  redisPrefix: string | undefined;
}

async function removeOwned(owned: Owned): Promise<void> {
  if (owned.schema) await dropSchema(owned.schema);
  if (owned.redisPrefix) {
    const { Redis } = await import('ioredis');
    const client = new Redis(process.env.REDIS_URL!);
    try {
      await deleteRedisPrefix(client, owned.redisPrefix);
    } finally {
      client.disconnect();
    }
  }
}

async function boot(env: Record<string, string>, dataDir: string, schema: string | undefined, owned: Owned): Promise<TestPortvakt> {
  const config = loadConfig(env);
  const portvakt = await createPortvakt(config, schema ? { databaseSchema: schema } : {});
  await portvakt.server.listen({ port: config.port, host: config.host });
  // Stopped once, however often it is asked: a restart that fails (as some tests intend) leaves
  // this handle to restart again or to close.
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= portvakt.close());
  const handle: TestPortvakt = {
    issuer: config.issuer,
    portvakt,
    dataDir,
    schema,
    redisPrefix: config.redisUrl ? config.redisPrefix : undefined,
    async restart(changes) {
      await stop();
      return boot({ ...env, ...changes }, dataDir, schema, owned);
    },
    async close() {
      await stop();
      await fs.rm(dataDir, { recursive: true, force: true });
      await removeOwned(owned);
    },
  };
  return handle;
}

async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
