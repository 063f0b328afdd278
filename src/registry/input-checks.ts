// What the registry's input validation says when input is wrong, the same way for every record
// (clients, API scopes): the field, as a path a person can find, and what is wrong with it.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { unstorableText } from '../store/storable-text.js';

/**
 * The first string or key of the input, as a field path (`jwks.keys.0.x`), that PostgreSQL could not
 * store (see store/storable-text.ts), and why; undefined if there is none.
 */
export function unstorableTextIn(value: unknown, path = ''): { path: string; why: string } | undefined {
  if (typeof value === 'string') {
    const why = unstorableText(value);
    return why ? { path, why } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const why = unstorableText(key);
    if (why) return { path: at, why: `(a field name) ${why}` };
    const found = unstorableTextIn(item, at);
    if (found) return found;
  }
  return undefined;
}

/** Hints a schema may carry for its messages: `hint` says in words what a pattern means. */
type SchemaHints = { anyOf?: Array<{ const?: unknown }>; hint?: string };

/** TypeBox's messages, phrased for a person fixing a file, a form or an API call. */
function describeSchemaError(message: string, schema: SchemaHints): string {
  if (message.startsWith('Unexpected property')) return 'is not a known field';
  if (schema.hint) return schema.hint;
  const choices = schema.anyOf?.map((s) => s.const).filter((c) => c !== undefined);
  if (choices?.length) return `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (message.startsWith('Expected required property')) return 'is required';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** The first way `value` breaks `schema`: the field's path (`jwks.keys.0.kid`) and what is wrong, with the value sent. */
export function firstSchemaProblem(schema: TSchema, value: unknown): { field: string; detail: string } | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const field = first.path.replace(/^\//, '').replace(/\//g, '.') || '(entry)';
  const detail = describeSchemaError(first.message, first.schema as SchemaHints);
  return { field, detail: `${detail}${first.value === undefined ? '' : ` (got ${JSON.stringify(first.value)})`}` };
}
