// What an operator reads when DATABASE_URL names a PostgreSQL that answers but will not serve
// Portvakt: PostgreSQL's own reason, the place without the password, and no stack trace.
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { ConfigError } from '../src/config/error.js';

const base = new URL(process.env.DATABASE_URL!);
const withPath = (database: string) => Object.assign(new URL(base), { pathname: `/${database}` }).toString();

describe('DATABASE_URL that PostgreSQL refuses', () => {
  it('a database that does not exist is named as such', async () => {
    const failure = await openStore({ databaseUrl: withPath('portvakt_no_such_database'), dataDir: '' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain('(database "portvakt_no_such_database" does not exist)');
  });

  it('a user that does not exist is named as such, and the password is not', async () => {
    const url = Object.assign(new URL(base), { username: 'portvakt_no_such_role', password: 'pw-not-to-print' }).toString();
    const failure = await openStore({ databaseUrl: url, dataDir: '' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/portvakt_no_such_role/);
    expect((failure as Error).message).not.toContain('pw-not-to-print');
  });
});
