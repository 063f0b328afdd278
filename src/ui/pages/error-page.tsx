import type { Locale } from '../../provider/locale.js';
import { translator } from '../i18n/index.js';
import { Layout, renderPage } from '../layout.js';

export interface ErrorPageProps {
  locale: Locale;
  /** OAuth error code and description, shown as they are: integrators need the exact words. */
  error: string;
  description?: string | undefined;
  reference: string;
}

export function renderErrorPage({ locale, error, description, reference }: ErrorPageProps): string {
  const t = translator(locale);
  return renderPage(
    <Layout locale={locale} t={t} title={t('error.title')}>
      <h1>{t('error.title')}</h1>
      <p>{t('error.intro')}</p>
      <div class="ds-alert" data-color="danger">
        <p><code>{error}</code>{description ? <>: <span lang="en">{description}</span></> : null}</p>
      </div>
      <p>{t('error.reference')}: <code class="reference">{reference}</code></p>
      <p>{t('error.help')}</p>
    </Layout>,
  );
}
