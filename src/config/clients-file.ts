// The client file (PORTVAKT_CONFIG): {"clients": [ … ]} with ID-porten's field names.
import fs from 'node:fs/promises';
import { ConfigError } from './error.js';

export async function readClientsFile(file: string): Promise<unknown[]> {
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
  return clients;
}
