// What kind of failure a database error is, by its SQLSTATE (PostgreSQL's errors and PGlite's, as
// src/store/pglite-thread.ts passes them on, both carry it as `code`).

/** The error's SQLSTATE (or, for a network failure, the system's error code such as ECONNREFUSED). */
export const sqlState = (err: unknown) => {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Class 22, a data exception: the database refuses a value, and would refuse it again. */
export const isDataError = (err: unknown) => sqlState(err)?.startsWith('22') === true;

/** A row with that key is there already. */
export const isUniqueViolation = (err: unknown) => sqlState(err) === '23505';

/**
 * CREATE SCHEMA found the schema there: 42P06, or, when another session made it after this one's
 * "if not exists" had looked, a unique violation in the catalog.
 */
export const isDuplicateSchema = (err: unknown) => sqlState(err) === '42P06' || isUniqueViolation(err);
