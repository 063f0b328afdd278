// The page frame every server-rendered page shares: language, skip link, landmarks, styles.
import type { ComponentChildren } from 'preact';
import { render } from 'preact-render-to-string';
import { LOCALES, type Locale } from '../provider/locale.js';
import { catalogues, type Translate } from './i18n/index.js';
import { STYLESHEET_HREF } from './stylesheet.js';

export interface LayoutProps {
  locale: Locale;
  t: Translate;
  title: string;
  /** Builds the link that switches the page to another language; omit to hide the switcher. */
  languageHref?: (locale: Locale) => string;
  children: ComponentChildren;
}

export function Layout({ locale, t, title, languageHref, children }: LayoutProps) {
  return (
    <html lang={locale === 'se' ? 'se' : locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} – Portvakt`}</title>
        <link rel="stylesheet" href={STYLESHEET_HREF} />
      </head>
      <body>
        <a class="ds-skip-link" href="#main">{t('layout.skip')}</a>
        <header class="site-header">
          <span class="product">{t('layout.productName')}</span>
          {languageHref && (
            <nav aria-label={t('layout.language')}>
              <ul class="languages">
                {LOCALES.map((l) => (
                  <li key={l}>
                    {l === locale ? (
                      <span aria-current="true" lang={l}>{catalogues[l]['lang.name']}</span>
                    ) : (
                      <a href={languageHref(l)} lang={l} hreflang={l}>{catalogues[l]['lang.name']}</a>
                    )}
                  </li>
                ))}
              </ul>
            </nav>
          )}
        </header>
        <main id="main" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}

export function renderPage(page: preact.VNode): string {
  return '<!DOCTYPE html>' + render(page);
}
