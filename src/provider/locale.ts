// ID-porten's four languages and how the one shown is chosen (profile §2.4):
// default nb → ui_locales (first supported) → the language the person picked (cookie) wins.

export const LOCALES = ['nb', 'nn', 'en', 'se'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'nb';
export const LANGUAGE_COOKIE = 'PORTVAKT_SELECTED_LANGUAGE';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function chooseLocale(uiLocales: string | undefined, picked: string | undefined): Locale {
  if (isLocale(picked)) return picked;
  for (const tag of (uiLocales ?? '').split(' ')) {
    const lang = tag.toLowerCase().split('-')[0];
    if (isLocale(lang)) return lang;
    if (lang === 'no' || lang === 'nob') return 'nb';
    if (lang === 'nno') return 'nn';
    if (lang === 'sme') return 'se';
  }
  return DEFAULT_LOCALE;
}
