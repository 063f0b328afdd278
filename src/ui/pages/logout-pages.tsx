// The pages of a logout (profile §6.1): continue (or confirm), the front-channel page that loads
// every client's logout URI in hidden frames, and "you are logged out".
import crypto from 'node:crypto';
import type { Locale } from '../../provider/locale.js';
import { translator } from '../i18n/index.js';
import { Layout, renderPage } from '../layout.js';
import { PAGE_CSP } from '../page-policy.js';

/** An inline script allowed by its hash in the page's Content-Security-Policy. */
function inlineScript(source: string) {
  return { source, hash: `'sha256-${crypto.createHash('sha256').update(source).digest('base64')}'` };
}

// Submits the logout form at once; without JavaScript the person presses the button.
const AUTO_SUBMIT = inlineScript("document.getElementById('logout-form').submit();");
// Leaves when every frame has loaded, or after 3 seconds, whichever comes first.
const AFTER_FRAMES = inlineScript(
  "(function(){var f=document.querySelectorAll('iframe.frontchannel'),n=f.length,d=false,next=document.getElementById('next').href;" +
  "function go(){if(!d){d=true;location.replace(next);}}" +
  "f.forEach(function(e){e.addEventListener('load',function(){if(--n<=0)go();});});setTimeout(go,3000);if(!n)go();})();",
);

export interface RenderedPage {
  html: string;
  csp: string;
}


export function renderLogoutPage(p: { locale: Locale; action: string; xsrf: string; automatic: boolean }): RenderedPage {
  const t = translator(p.locale);
  const html = renderPage(
    <Layout locale={p.locale} t={t} title={t('logout.title')}>
      <h1>{p.automatic ? t('logout.continuing') : t('logout.title')}</h1>
      {!p.automatic && <p>{t('logout.confirm')}</p>}
      <form id="logout-form" method="post" action={p.action}>
        <input type="hidden" name="xsrf" value={p.xsrf} />
        <input type="hidden" name="logout" value="yes" />
        <button type="submit" class="ds-button" data-variant="primary">{p.automatic ? t('logout.continue') : t('logout.submit')}</button>
      </form>
      {p.automatic && <script dangerouslySetInnerHTML={{ __html: AUTO_SUBMIT.source }} />}
    </Layout>,
  );
  return { html, csp: `${PAGE_CSP}; script-src ${AUTO_SUBMIT.hash}; form-action 'self'` };
}

export interface FrontchannelFrame {
  url: string;
  serviceName: string;
}

export function renderFrontchannelPage(p: { locale: Locale; frames: FrontchannelFrame[]; next: string }): RenderedPage {
  const t = translator(p.locale);
  const origins = [...new Set(p.frames.map((f) => new URL(f.url).origin))];
  const html = renderPage(
    <Layout locale={p.locale} t={t} title={t('logout.title')}>
      <h1>{t('logout.continuing')}</h1>
      <p><a id="next" href={p.next}>{t('logout.continue')}</a></p>
      {p.frames.map((frame) => (
        <iframe class="frontchannel" src={frame.url} title={t('logout.frames', { service: frame.serviceName })} hidden width="0" height="0" tabIndex={-1} />
      ))}
      <script dangerouslySetInnerHTML={{ __html: AFTER_FRAMES.source }} />
    </Layout>,
  );
  return { html, csp: `${PAGE_CSP}; script-src ${AFTER_FRAMES.hash}; frame-src ${origins.join(' ') || "'none'"}` };
}

export function renderLoggedOutPage(p: { locale: Locale }): RenderedPage {
  const t = translator(p.locale);
  const html = renderPage(
    <Layout locale={p.locale} t={t} title={t('logout.done.title')}>
      <h1>{t('logout.done.title')}</h1>
      <p>{t('logout.done.body')}</p>
    </Layout>,
  );
  return { html, csp: PAGE_CSP };
}
