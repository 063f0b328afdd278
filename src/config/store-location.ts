// Where the store is, read on its own so the CLI can start opening the embedded database before the
// rest of the configuration (and its validator) has loaded. loadConfig reads the same two values
// through this function and validates them with everything else.
import path from 'node:path';

export interface StoreLocation {
  /** The embedded database lives in `<dataDir>/db`; the generated development secret beside it. */
  dataDir: string;
  /** PostgreSQL instead of the embedded database. */
  databaseUrl: string | undefined;
}

export function storeLocation(env: NodeJS.ProcessEnv = process.env): StoreLocation {
  return {
    dataDir: path.resolve(env.PORTVAKT_DATA_DIR ?? '.portvakt'),
    databaseUrl: env.DATABASE_URL || undefined,
  };
}
