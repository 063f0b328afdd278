// The client file (PORTVAKT_CONFIG): {"clients": [ … ], "scopes": [ … ]} with ID-porten's field
// names; scopes (optional) are API scopes (registry/api-scopes.ts) the clients may then name, and
// fullmakter (optional) are test persons' representation relations (identity/fullmakt.ts).
import fs from 'node:fs/promises';
import { ConfigError } from './error.js';

export interface ClientsFile {
  clients: unknown[];
  scopes: unknown[];
  fullmakter: unknown[];
}

export async function readClientsFile(file: string): Promise<ClientsFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`PORTVAKT_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`PORTVAKT_CONFIG: ${file} is not valid JSON (${(err as Error).message})`);
  }
  const clients = (parsed as { clients?: unknown })?.clients;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(clients)) {
    throw new ConfigError(`PORTVAKT_CONFIG: ${file} must be a JSON object with a "clients" array`);
  }
  const { scopes = [] } = parsed as { scopes?: unknown };
  if (!Array.isArray(scopes)) throw new ConfigError(`PORTVAKT_CONFIG: ${file}: "scopes" must be an array of API scopes`);
  const { fullmakter = [] } = parsed as { fullmakter?: unknown };
  if (!Array.isArray(fullmakter)) throw new ConfigError(`PORTVAKT_CONFIG: ${file}: "fullmakter" must be an array of relations`);
  // A misspelt "scopes" would otherwise leave its scopes out without a word.
  const unknown = Object.keys(parsed).filter((key) => !['clients', 'scopes', 'fullmakter', '$schema'].includes(key));
  if (unknown.length) throw new ConfigError(`PORTVAKT_CONFIG: ${file}: "${unknown[0]}" is not known here; the file has "clients", "scopes" and "fullmakter"`);
  return { clients, scopes, fullmakter };
}
