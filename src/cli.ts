// portvakt start | migrate | keys rotate | keys list | clients list | scopes list | …
//
// Only the store's location and the store are imported up front: the embedded database starts
// opening (most of a second, in its own thread) while the rest of Portvakt, the configuration's
// validator included, loads.
import fs from 'node:fs/promises';
import { enableCompileCache, flushCompileCache } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { ConfigError } from './config/error.js';
import { storeLocation } from './config/store-location.js';
import { startOpeningStore, type Store } from './store/db.js';
import { DomainError } from './registry/errors.js';

const COMMANDS = new Set(['start', 'migrate', 'keys', 'clients', 'scopes', 'orgs', 'roles']);

const USAGE = `usage: portvakt <command>
  start                          run the provider (default)
  migrate                        create or update the database schema, then exit
  keys list                      show signing keys and their states
  keys rotate                    the next key starts signing; a new next key is published
  clients list [orgno]           show the registered clients of this environment
  clients add <orgno> <file>     create an integration from a JSON file (ID-porten's fields); prints its secret once
  clients delete <client_id>     delete an integration
  scopes list                    show the API scopes of this environment
  scopes prefix <prefix> <orgno> let an organisation register API scopes under prefix:
  orgs list                      show the organisations
  orgs add <orgno> <name…>       add (or rename) an organisation
  roles grant <pid> integration_admin <orgno>
  roles grant <pid> service_desk`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', sub, ...rest] = argv;
  if (!COMMANDS.has(command)) throw new ConfigError(USAGE);
  if (command !== 'start') {
    // A command that opens the embedded database and exits in a second has no use for V8 compiling
    // PGlite's hot WebAssembly functions a second time, optimised, in the background; and Node
    // waits for that work before the process can end, which made every command take 1.5 s longer.
    // Set before PGlite's module is compiled. The server keeps V8's default, which it profits from.
    setFlagsFromString('--wasm-tiering-budget=1000000000');
  }
  const location = storeLocation();
  if (!location.databaseUrl) {
    // With the embedded store, Node keeps the compiled code of the modules loaded from here on
    // (nearly all of Portvakt and its dependencies) in the data directory, keyed by Node version
    // and file contents, and reuses it at the next start: a tenth of a second or more. In the data
    // directory rather than a shared temporary one, where another user could plant code.
    // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
    enableCompileCache(path.join(location.dataDir, 'compile-cache'));
  }
  // PostgreSQL is opened once the whole configuration has been validated; it connects in
  // milliseconds, and a malformed DATABASE_URL deserves the configuration's message.
  const early = location.databaseUrl ? undefined : startOpeningStore(location);
  early?.catch(() => undefined); // awaited (and reported) by openData below
  const interrupted = closeStoreOnSignal(() => early);
  const { loadConfig } = await import('./config/index.js');
  const config = loadConfig();
  const opening: Promise<Store> = early ?? startOpeningStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  opening.catch(() => undefined);
  interrupted.storeIs(opening);
  const { createPortvakt, integrationsWithRules, openData, DEMO_PREFIX, PROFILE_PREFIX, DEMO_ADMIN, DEMO_ORGANISATION } = await import('./app.js');
  const { rotateSigningKeys, ensureSigningKeys } = await import('./provider/keys.js');
  const { announceKeyChange } = await import('./provider/key-watch.js');
  const { createClientRegistry } = await import('./registry/clients.js');
  const { createOrganisations } = await import('./registry/organisations.js');
  const { createAuditLog } = await import('./registry/audit.js');
  const { createApiScopes } = await import('./registry/api-scopes.js');
  switch (command) {
    case 'start': {
      const portvakt = await createPortvakt(config, { store: opening });
      await portvakt.server.listen({ port: config.port, host: config.host }).catch(async (err: NodeJS.ErrnoException) => {
        await portvakt.close();
        if (err.code === 'EADDRINUSE') throw new ConfigError(`port ${config.port} is already in use (is Portvakt running already?); stop that program or set PORT to another port`);
        if (err.code === 'EACCES') throw new ConfigError(`not allowed to listen on port ${config.port}; choose a port above 1023 with PORT`);
        throw err;
      });
      const shutdown = async () => { await portvakt.close(); process.exit(0); };
      interrupted.stopWatching(); // from here on a signal stops the server too
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      const lines = [
        `Portvakt (${config.environment}) ready in ${Math.round(performance.now())} ms`,
        `  issuer     ${config.issuer}`,
        `  discovery  ${config.issuer}/.well-known/openid-configuration`,
        `  store      ${portvakt.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}`,
      ];
      if (portvakt.redis) lines.push(`  sessions   Redis at ${portvakt.redis.location} (keys ${portvakt.redis.prefix}*)`);
      // Where organisations ask and the desk approves, someone must be the desk before anything is approved.
      if (portvakt.productionRequests.required) lines.push('  requests   new integrations by production request, approved by the service desk at /portal/desk (make someone the desk: portvakt roles grant <pid> service_desk)');
      if (portvakt.demoClient) {
        lines.push(`  demo client ${portvakt.demoClient.client_id} (redirect_uri ${portvakt.demoClient.redirect_uris[0]})`);
        lines.push(`  log in now  ${config.issuer}${DEMO_PREFIX}/login`);
        lines.push(`  portal     ${config.issuer}/portal (organisation ${DEMO_ORGANISATION.orgno} ${DEMO_ORGANISATION.name}; log in as test person ${DEMO_ADMIN.givenName} ${DEMO_ADMIN.familyName}, ${DEMO_ADMIN.pid})`);
        lines.push(`  API        ${config.issuer}/api/v1/docs`);
        lines.push(`  profile    ${config.issuer}${PROFILE_PREFIX} (a person's logins and consents, which they can withdraw)`);
        if (['info', 'debug', 'trace'].includes(config.logLevel)) lines.push('  events     a client\'s failed calls are logged below, and listed on its page in the portal');
      }
      for (const client of await portvakt.clients.list()) {
        if (client.source === 'file') lines.push(`  client     ${client.registration.client_id} (${client.registration.token_endpoint_auth_method})`);
      }
      process.stdout.write(lines.join('\n') + '\n');
      flushCompileCache(); // now, not only at exit: a process that is killed keeps it too
      return;
    }
    case 'migrate': {
      const { store, secrets } = await openData(config, { store: opening });
      await ensureSigningKeys(store.db, secrets);
      await store.close();
      process.stdout.write('database is up to date\n');
      return;
    }
    case 'keys': {
      const { store, secrets } = await openData(config, { store: opening });
      try {
        if (sub === 'rotate') {
          const result = await rotateSigningKeys(store.db, secrets);
          await announceKeyChange(store.changes);
          process.stdout.write(`signing with ${result.current}; published next ${result.next}; retired ${result.retired} (stays in the JWKS until its tokens expire)\n`);
          if (store.changes) process.stdout.write('running nodes on this database take up the change now\n');
        } else if (sub === 'list' || sub === undefined) {
          await ensureSigningKeys(store.db, secrets);
          const rows = await store.db.selectFrom('signing_keys').select(['kid', 'state', 'created_at', 'retired_at']).orderBy('created_at', 'desc').execute();
          const order = { current: 0, next: 1, retired: 2 } as const; // then newest first
          rows.sort((a, b) => order[a.state] - order[b.state]);
          for (const r of rows) process.stdout.write(`${r.state.padEnd(8)} ${r.kid}  created ${new Date(r.created_at).toISOString()}${r.retired_at ? `  retired ${new Date(r.retired_at).toISOString()}` : ''}\n`);
        } else {
          throw new ConfigError(USAGE);
        }
      } finally {
        await store.close();
      }
      return;
    }
    case 'clients': {
      const { store, secrets } = await openData(config, { store: opening });
      try {
        // Running nodes on the same PostgreSQL hear of the change at once.
        const registry = createClientRegistry(store.db, secrets, config.environment, { changes: store.changes });
        // The rules the portal and the API apply (the terms of use first, in production) apply here too.
        const audit = createAuditLog(store.db, config.environment);
        const scopes = await createApiScopes(store.db, audit, config.environment).catalog();
        const { integrations } = integrationsWithRules(config, registry, audit, () => scopes);
        if (sub === 'add') {
          const [orgno, file] = rest;
          if (!orgno || !file) throw new ConfigError(USAGE);
          const input = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
          const { integration, client_secret } = await integrations.create('all', orgno, input, { kind: 'cli', id: os.userInfo().username });
          process.stdout.write(`created ${integration.client_id} for ${orgno}${client_secret ? `\nclient_secret (shown once): ${client_secret}` : ''}\n`);
          return;
        }
        if (sub === 'delete') {
          await integrations.remove('all', rest[0] ?? '', { kind: 'cli', id: os.userInfo().username });
          process.stdout.write(`deleted ${rest[0]}\n`);
          return;
        }
        if (sub !== undefined && sub !== 'list') throw new ConfigError(USAGE);
        const rows = await registry.list(rest[0] ? { orgno: rest[0] } : {});
        for (const c of rows) process.stdout.write(`${c.registration.client_id}\t${c.orgno ?? '-'}\t${c.registration.integration_type}\t${c.registration.token_endpoint_auth_method}\t${c.source}\t${c.active ? 'active' : 'inactive'}\n`);
      } finally {
        await store.close();
      }
      return;
    }
    case 'scopes': {
      const { store } = await openData(config, { store: opening });
      try {
        // Running nodes on the same PostgreSQL hear of a change at once.
        const apiScopes = createApiScopes(store.db, createAuditLog(store.db, config.environment), config.environment, store.changes);
        if (sub === 'prefix') {
          const [prefix, orgno] = rest;
          if (!prefix || !orgno) throw new ConfigError(USAGE);
          await apiScopes.assignPrefix(prefix, orgno, { kind: 'cli', id: os.userInfo().username });
          process.stdout.write(`${orgno} may register scopes under ${prefix}:\n`);
        } else if (sub === 'list' || sub === undefined) {
          for (const scope of await apiScopes.list({ includeInactive: true })) {
            process.stdout.write(`${scope.name}\t${scope.owner_orgno ?? '-'}\t${scope.accessible_for_all ? 'all' : 'by access'}\t${scope.active ? 'active' : 'inactive'}\n`);
          }
        } else {
          throw new ConfigError(USAGE);
        }
      } finally {
        await store.close();
      }
      return;
    }
    case 'orgs':
    case 'roles': {
      const { store } = await openData(config, { store: opening });
      try {
        const organisations = createOrganisations(store.db, createAuditLog(store.db, config.environment));
        const actor = { kind: 'cli' as const, id: os.userInfo().username };
        if (command === 'orgs' && sub === 'add') {
          const [orgno, ...name] = rest;
          const org = await organisations.upsert({ orgno: orgno ?? '', name: name.join(' ') }, actor);
          process.stdout.write(`${org.orgno}\t${org.name}\n`);
        } else if (command === 'orgs' && (sub === 'list' || sub === undefined)) {
          for (const org of await organisations.list()) process.stdout.write(`${org.orgno}\t${org.name}\n`);
        } else if (command === 'roles' && sub === 'grant') {
          const [pid, role, orgno] = rest;
          if (role !== 'integration_admin' && role !== 'service_desk') throw new ConfigError(USAGE);
          await organisations.grant(pid ?? '', role, orgno, actor);
          process.stdout.write(`granted ${role}${orgno ? ` for ${orgno}` : ''} to ${pid}\n`);
        } else {
          throw new ConfigError(USAGE);
        }
      } finally {
        await store.close();
      }
      return;
    }
    default:
      throw new ConfigError(USAGE);
  }
}

/**
 * Until a command stops watching, SIGINT or SIGTERM closes the store before the process ends: killed
 * with it, PGlite's thread can be torn down mid-write (while opening, that once left a data directory
 * unreadable). `store()` is the store being opened, if any yet.
 */
function closeStoreOnSignal(store: () => Promise<Store> | undefined) {
  let current = store;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    void Promise.resolve(current())
      .then((opened) => opened?.close(), () => undefined)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    storeIs(opening: Promise<Store>) {
      current = () => opening;
    },
    stopWatching() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Set once a signal asked the process to stop: what fails after that is the store closing under a command. */
let stopping = false;

// A reader that goes away (`npm start | head -3`, `portvakt keys list | head -1`) is no failure of
// ours: what is left to print is dropped and the command, or the server, carries on, as the server's
// log already does when its reader goes. Unheard, Node ends the process with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  if (stopping) return; // closeStoreOnSignal ends the process
  if (err instanceof ConfigError || err instanceof DomainError) {
    process.stderr.write(`portvakt: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`portvakt: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
