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
  // The store could not be reached: nothing the person did, and it may work in a moment.
  const unavailable = error === 'temporarily_unavailable';
  const title = t(unavailable ? 'error.unavailable.title' : 'error.title');
  return renderPage(
    <Layout locale={locale} t={t} title={title}>
      <h1>{title}</h1>
      <p>{t(unavailable ? 'error.unavailable.intro' : 'error.intro')}</p>
      <div class="ds-alert" data-color="danger">
        <p><code>{error}</code>{description ? <>: <span lang="en">{description}</span></> : null}</p>
      </div>
      <p>{t('error.reference')}: <code class="reference">{reference}</code></p>
      <p>{t('error.help')}</p>
    </Layout>,
  );
}
