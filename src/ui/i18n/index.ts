// Typed message catalogues for ID-porten's four languages. `Catalogue` makes a missing key a type
// error, and test/i18n.test.ts checks the same at run time.
import type { Locale } from '../../provider/locale.js';
import { nb, type MessageKey, type Catalogue } from './nb.js';
import { nn } from './nn.js';
import { en } from './en.js';
import { se } from './se.js';

export type { MessageKey, Catalogue };
export const catalogues: Record<Locale, Catalogue> = { nb, nn, en, se };

export type Translate = (key: MessageKey, values?: Record<string, string>) => string;

export function translator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  return (key, values) => catalogue[key].replace(/\{(\w+)\}/g, (_, name: string) => values?.[name] ?? `{${name}}`);
}
