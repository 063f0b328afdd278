import { describe, expect, it } from 'vitest';
import { catalogues } from '../src/ui/i18n/index.js';
import { nb } from '../src/ui/i18n/nb.js';
import { chooseLocale } from '../src/provider/locale.js';

describe('message catalogues', () => {
  const keys = Object.keys(nb).sort();
  for (const [locale, catalogue] of Object.entries(catalogues)) {
    it(`${locale} has every key of nb, and no others, all non-empty`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(keys);
      for (const [key, text] of Object.entries(catalogue)) expect(text.trim(), `${locale}:${key}`).not.toBe('');
    });
    it(`${locale} keeps every placeholder of nb`, () => {
      for (const key of keys) {
        const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect(placeholders(catalogue[key as keyof typeof nb]), `${locale}:${key}`).toEqual(placeholders(nb[key as keyof typeof nb]));
      }
    });
  }
});

describe('choosing the language (profile §2.4)', () => {
  it('defaults to nb, follows ui_locales, and the picked language wins', () => {
    expect(chooseLocale(undefined, undefined)).toBe('nb');
    expect(chooseLocale('de en', undefined)).toBe('en');
    expect(chooseLocale('nn-NO', undefined)).toBe('nn');
    expect(chooseLocale('en', 'se')).toBe('se');
    expect(chooseLocale('xx', 'zz')).toBe('nb');
  });
});
