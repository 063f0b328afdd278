// Logging a person in to the portal over plain HTTP, as a browser would: through Portvakt's own
// login (the TestID form), ending with the portal's session cookie.
import { CookieBrowser, formField, loginWithTestId } from './browser.js';

/** A browser logged in to the portal at `issuer` as the person with this pid, and its session's CSRF token. */
export async function portalLogin(issuer: string, pid: string): Promise<{ browser: CookieBrowser; csrf: string }> {
  const browser = new CookieBrowser();
  const start = await browser.request(`${issuer}/portal/login`);
  await browser.request(await loginWithTestId(browser, start.location!, `${issuer}/portal/callback`, { pid }));
  const csrf = formField((await browser.request(`${issuer}/portal`)).body, 'csrf');
  if (!csrf) throw new Error(`${pid} is not logged in to the portal`);
  return { browser, csrf };
}
