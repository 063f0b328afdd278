// portvakt start | migrate | keys rotate | keys list | clients list
import { loadConfig, ConfigError } from './config/index.js';
import { createPortvakt, openData, DEMO_PREFIX } from './app.js';
import { rotateSigningKeys, ensureSigningKeys } from './provider/keys.js';
import { createClientRegistry } from './registry/clients.js';

const USAGE = `usage: portvakt <command>
  start          run the provider (default)
  migrate        create or update the database schema, then exit
  keys list      show signing keys and their states
  keys rotate    the next key starts signing; a new next key is published
  clients list   show the registered clients of this environment`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', sub] = argv;
  const config = loadConfig();
  switch (command) {
    case 'start': {
      const started = Date.now();
      const portvakt = await createPortvakt(config);
      await portvakt.server.listen({ port: config.port, host: config.host });
      const shutdown = async () => { await portvakt.close(); process.exit(0); };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      const lines = [
        `Portvakt (${config.environment}) ready in ${Date.now() - started} ms`,
        `  issuer     ${config.issuer}`,
        `  discovery  ${config.issuer}/.well-known/openid-configuration`,
        `  store      ${portvakt.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}`,
      ];
      if (portvakt.demoClient) {
        lines.push(`  demo client ${portvakt.demoClient.client_id} (redirect_uri ${portvakt.demoClient.redirect_uris[0]})`);
        lines.push(`  log in now  ${config.issuer}${DEMO_PREFIX}/login`);
      }
      for (const client of await portvakt.clients.list()) {
        if (client.source === 'file') lines.push(`  client     ${client.registration.client_id} (${client.registration.token_endpoint_auth_method})`);
      }
      process.stdout.write(lines.join('\n') + '\n');
      return;
    }
    case 'migrate': {
      const { store, secrets } = await openData(config);
      await ensureSigningKeys(store.db, secrets);
      await store.close();
      process.stdout.write('database is up to date\n');
      return;
    }
    case 'keys': {
      const { store, secrets } = await openData(config);
      try {
        if (sub === 'rotate') {
          const result = await rotateSigningKeys(store.db, secrets);
          process.stdout.write(`signing with ${result.current}; published next ${result.next}; retired ${result.retired} (stays in the JWKS until its tokens expire)\nrestart running nodes to pick up the change\n`);
        } else if (sub === 'list' || sub === undefined) {
          await ensureSigningKeys(store.db, secrets);
          const rows = await store.db.selectFrom('signing_keys').select(['kid', 'state', 'created_at', 'retired_at']).orderBy('created_at').execute();
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
      const { store, secrets } = await openData(config);
      try {
        const rows = await createClientRegistry(store.db, secrets, config.environment).list();
        for (const c of rows) process.stdout.write(`${c.registration.client_id}\t${c.registration.token_endpoint_auth_method}\t${c.source}\t${c.active ? 'active' : 'inactive'}\n`);
      } finally {
        await store.close();
      }
      return;
    }
    default:
      throw new ConfigError(USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`portvakt: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`portvakt: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
