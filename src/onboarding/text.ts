// Free text people write to each other through the portal (support messages, production requests):
// trimmed, within its length, and text the database can hold. Each field's error names it, under
// the code its module uses, so a form can show the message beside the field.
import { DomainError } from '../registry/errors.js';
import { unstorableText } from '../store/storable-text.js';

/** `value` trimmed, as it is stored; or a DomainError with the code `${prefix}.${field}` saying what is wrong. */
export function checkedText(prefix: string, field: string, value: unknown, { max, required = true }: { max: number; required?: boolean }): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) {
    if (required) throw new DomainError(`${prefix}.${field}`, `${field} is required`);
    return '';
  }
  if (text.length > max) throw new DomainError(`${prefix}.${field}`, `${field} is longer than ${max} characters`);
  const unstorable = unstorableText(text);
  if (unstorable) throw new DomainError(`${prefix}.${field}`, `${field} ${unstorable}`);
  return text;
}
