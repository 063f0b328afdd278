// npm run bench:store — what a login's durable writes cost the embedded database, on their own.
//
// A login leaves three rows for the store (its session, its grant and its access token, through the
// write-behind store) and, with every call recorded, two protocol events (the authorization answer
// and the token call). This writes them through the same code the server uses (WriteBehindStore,
// the protocol event writer, PGlite in its thread, the real migrations), a batch of logins at a
// time as the server's timers batch them, and prints the CPU PGlite's thread spends per login:
// with everything, without the events, and without the access token. No HTTP, no signatures and no
// second program share the machine, so the figures move far less than `npm run bench`'s.
// The payloads are modelled on oidc-provider's for a TestID login: the same fields, about the same size.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { WriteBehindStore } from '../src/provider/write-behind.js';
import { createProtocolEvents } from '../src/registry/events.js';
import { threadSeconds } from './proc.js';

const LOGINS = Number(process.env.BENCH_STORE_LOGINS ?? 10_000);
/** Logins per batch: about what 200 ms of logins come to at the rates `npm run bench` reaches. */
const BATCH = Number(process.env.BENCH_STORE_BATCH ?? 60);
const WARMUP = 3_000;
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 3);

interface Variant {
  name: string;
  accessToken: boolean;
  events: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'session, grant, access token, 2 events', accessToken: true, events: true },
  { name: 'session, grant, access token', accessToken: true, events: false },
  { name: 'session, grant, 2 events', accessToken: false, events: true },
];

/** CPU seconds of this process's threads named like PGlite's (a Node worker thread). */
function workerThreadSeconds(): number {
  const byName = threadSeconds(process.pid);
  return (byName.get('WorkerThread user') ?? 0) + (byName.get('WorkerThread sys') ?? 0);
}

const id = () => crypto.randomBytes(32).toString('base64url');

async function measure(variant: Variant): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portvakt-bench-store-'));
  const store = await openStore({ dataDir });
  try {
    await migrateToLatest(store.db);
    const writeBehind = new WriteBehindStore(store.db, { flushMs: 60_000 }); // flushed below, per batch
    const [sessions, grants, accessTokens] = ['Session', 'Grant', 'AccessToken'].map((model) => writeBehind.adapter(model));
    const events = createProtocolEvents(store.db, 'test', { recording: 'all', flushMs: 60_000 });

    const login = async () => {
      const now = Math.floor(Date.now() / 1000);
      const grantId = id();
      const uid = id();
      const session = { iat: now, exp: now + 7200, uid, kind: 'Session', loginTs: now, accountId: '28876895937', acr: 'idporten-loa-substantial', amr: ['TestID'], authorizations: { 'bench-client': { sid: id(), grantId, persistsLogout: false } }, transient: false, state: {} };
      await sessions!.upsert(id(), session, 7200);
      // As the server stores it: naming its person (listed by person) and itself (adapters.ts namingOwnGrant).
      await grants!.upsert(grantId, { iat: now, exp: now + 7200, accountId: '28876895937', clientId: 'bench-client', kind: 'Grant', openid: { scope: 'openid profile' }, authorizationId: grantId }, 7200);
      if (variant.accessToken) {
        await accessTokens!.upsert(id(), {
          iat: now, exp: now + 120, accountId: '28876895937', acr: 'idporten-loa-substantial', amr: ['TestID'], authTime: now, claims: { id_token: {} }, clientId: 'bench-client', expiresWithSession: true, grantId, gty: 'authorization_code', sessionUid: uid, sid: id(), kind: 'AccessToken', scope: 'openid profile',
          extra: { pid: '28876895937', acr: 'idporten-loa-substantial', client_amr: 'client_secret_basic', consumer: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' } },
        }, 120);
      }
      if (variant.events) {
        events.record({ clientId: 'bench-client', type: 'authorize', outcome: 'success', detail: { redirect_uri: 'http://localhost:7777/callback', scope: 'openid profile', response_mode: 'query', method: 'testid', acr: 'idporten-loa-substantial' } });
        events.record({ clientId: 'bench-client', type: 'token', outcome: 'success', detail: { grant_type: 'authorization_code' } });
      }
    };
    const run = async (logins: number) => {
      for (let done = 0; done < logins; done += BATCH) {
        for (let i = 0; i < BATCH; i++) await login();
        await Promise.all([writeBehind.flush(), events.flush()]);
      }
    };

    await run(WARMUP);
    const before = workerThreadSeconds();
    await run(LOGINS);
    const seconds = workerThreadSeconds() - before;
    await events.close();
    await writeBehind.close();
    return (seconds * 1e6) / LOGINS;
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  if (os.platform() !== 'linux') throw new Error('bench:store reads thread times from /proc (Linux only)');
  // The variants take turns, round after round, so that a slow spell of the machine does not land
  // on one of them only; the median round is printed beside the range.
  const results = new Map<Variant, number[]>(VARIANTS.map((variant) => [variant, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) results.get(variant)!.push(await measure(variant));
  }
  const rows = [...results].map(([variant, perLogin]) => {
    const sorted = [...perLogin].sort((a, b) => a - b);
    return `| ${variant.name} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} |`;
  });
  process.stdout.write(`\n${ROUNDS} rounds of ${LOGINS} logins per variant, in batches of ${BATCH}, each after ${WARMUP} to warm up; Node ${process.version}\n\n| a login writes | PGlite's thread, µs per login (median) | range |\n|---|---|---|\n${rows.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
