// The embedded PostgreSQL (PGlite) in a worker thread of its own.
//
// PGlite is PostgreSQL compiled to WebAssembly, and its file system calls are synchronous: run on the
// main thread, every statement stops the event loop for as long as it takes (the write-behind flush
// of a busy second of logins took milliseconds). In a worker it runs beside the requests instead of
// between them. The main thread sends SQL and parameters and gets rows back; structured clone
// carries what PGlite returns (Dates, parsed JSON, numbers, byte arrays) unchanged.
import { Worker } from 'node:worker_threads';

export interface PgliteConnection {
  query(sql: string, parameters: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; affectedRows: number }>;
  close(): Promise<void>;
}

interface Failure { message: string; code?: string; detail?: string; hint?: string }
type Reply =
  | { id: number; rows: Record<string, unknown>[]; affectedRows: number }
  | { id: number; error: Failure }
  | { ready: true }
  | { ready: false; error: Failure };

/** PostgreSQL errors keep their SQLSTATE code and detail, so callers can tell a unique violation. */
export class PgliteError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  constructor(failure: Failure) {
    super(failure.message);
    this.name = 'PgliteError';
    this.code = failure.code;
    this.detail = failure.detail;
  }
}

// Plain JavaScript, so the worker needs no TypeScript loader (tsx, Vitest and a plain `node` all
// run it). Statements run one at a time in arrival order, which keeps a transaction's statements
// together: the pool in db.ts lends the one connection to one borrower at a time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const failure = (err) => ({ message: String((err && err.message) || err), code: err && err.code, detail: err && err.detail, hint: err && err.hint });
// The message listener is attached before PGlite starts opening, and not after: it keeps this
// thread's event loop alive. While opening, PGlite awaits WebAssembly compilation, which holds no
// handle; a loop with nothing to wait for makes Node drain V8's shared background queue before it
// goes on, and that queue holds the whole process's compile and GC work (a third of a second, at
// start, during which the first query waited undelivered).
const opening = (async () => {
  const { PGlite } = await import(workerData.pglite);
  return PGlite.create(workerData.dir, { startParams: [...PGlite.defaultStartParams, ...workerData.settings] });
})();
let turn = opening;
parentPort.on('message', (message) => {
  turn = turn.then(async (db) => {
    if (message.close) {
      await db.close();
      parentPort.postMessage({ id: message.id, rows: [], affectedRows: 0 });
      parentPort.close();
      return db;
    }
    try {
      const result = await db.query(message.sql, message.parameters);
      parentPort.postMessage({ id: message.id, rows: result.rows, affectedRows: result.affectedRows ?? 0 });
    } catch (err) {
      parentPort.postMessage({ id: message.id, error: failure(err) });
    }
    return db;
  });
});
opening.then(
  () => parentPort.postMessage({ ready: true }),
  (err) => { parentPort.postMessage({ ready: false, error: failure(err) }); parentPort.close(); },
);
`;

/**
 * PostgreSQL's default of 128 MB of shared buffers is sized for a server. PGlite allocates and
 * clears them in WebAssembly memory at every start, which was half of the start-up time and half of
 * the memory; the embedded store's data is small, and what does not fit is one file read away.
 */
const SETTINGS = ['-c', 'shared_buffers=16MB'];

export async function openPgliteThread(dir: string): Promise<PgliteConnection> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Plain JavaScript needs no loader: not inheriting `--import tsx` saves the worker a few hundred ms.
    execArgv: [],
    workerData: { dir, settings: SETTINGS, pglite: import.meta.resolve('@electric-sql/pglite') },
  });
  // Listened for from the start, so that close() cannot miss an exit that comes before it looks.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const pending = new Map<number, { resolve: (value: { rows: Record<string, unknown>[]; affectedRows: number }) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return reply.ready ? resolve() : reject(new PgliteError(reply.error));
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if ('error' in reply) waiter?.reject(new PgliteError(reply.error));
      else waiter?.resolve({ rows: reply.rows, affectedRows: reply.affectedRows });
    });
    const fail = (err: Error) => {
      gone ??= err;
      reject(err);
      for (const waiter of pending.values()) waiter.reject(err);
      pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`the embedded database stopped: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`the embedded database stopped (worker exit code ${code})`)));
  });
  await ready;

  const send = (message: { sql?: string; parameters?: readonly unknown[]; close?: true }) => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise<{ rows: Record<string, unknown>[]; affectedRows: number }>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  };

  return {
    query: (sql, parameters) => send({ sql, parameters }),
    async close() {
      if (gone) return;
      await send({ close: true });
      gone = new Error('the embedded database is closed');
      // PGlite is closed and the worker has closed its port: it ends on its own. Forcing it only if
      // it does not avoids tearing a thread down while its last native work is finishing.
      const force = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(force);
    },
  };
}
