// A database belongs to one environment. Its signing keys, sessions, clients and data keys are that
// environment's; a production node on a test environment's database would sign with the keys that
// sign tokens for TestID logins, where anyone can be anyone. The first start records the
// environment; a node or command of another environment is refused before it touches anything.
import { ConfigError } from '../config/error.js';
import type { Db } from './db.js';

const ENVIRONMENT = 'environment';

export async function bindToEnvironment(db: Db, environment: string): Promise<void> {
  // Nodes starting at once on a new database: one records, every node reads what was recorded.
  await db.insertInto('settings').values({ name: ENVIRONMENT, value: environment }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const bound = (await db.selectFrom('settings').select('value').where('name', '=', ENVIRONMENT).executeTakeFirstOrThrow()).value;
  if (bound !== environment) {
    throw new ConfigError(`PORTVAKT_ENVIRONMENT=${environment}, but this database belongs to the ${bound} environment: its signing keys, sessions and clients are that environment's. Give each environment a database (or PORTVAKT_DATA_DIR) of its own, or start with PORTVAKT_ENVIRONMENT=${bound}.`);
  }
}
