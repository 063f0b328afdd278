// A plain-HTTP "browser": follows redirects by hand, keeps cookies, submits the TestID form.
// Enough to log in over real HTTP without a real browser (browser tests use Chromium).

export interface Hop {
  status: number;
  url: string;
  location?: string;
  body: string;
  /** Where the page's form posts to (absolute), if it has one: as a browser would submit it. */
  action?: string;
}

export class CookieBrowser {
  private readonly cookies = new Map<string, string>();

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  hasCookie(name: string): boolean {
    return this.cookies.has(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Hop> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader(), accept: 'text/html' },
    });
    this.remember(response);
    const location = response.headers.get('location') ?? undefined;
    const body = await response.text();
    const action = /<form method="post" action="([^"]*)"/.exec(body)?.[1];
    return {
      status: response.status, url, body,
      ...(location ? { location: new URL(location, url).toString() } : {}),
      ...(action !== undefined ? { action: new URL(action.replace(/&amp;/g, '&'), url).toString() } : {}),
    };
  }

  /**
   * Follows redirects until a page (non-3xx) or a URL where `stopAt` holds (a client's callback),
   * which is not requested: the hop returned names it as its location, also when `url` is one.
   */
  async follow(url: string, stopAt: (url: string) => boolean = () => false): Promise<Hop> {
    if (stopAt(url)) return { status: 303, url, body: '', location: url };
    let hop = await this.request(url);
    for (let i = 0; i < 10 && hop.location && !stopAt(hop.location); i++) hop = await this.request(hop.location);
    return hop;
  }

  async post(url: string, form: Record<string, string>): Promise<Hop> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
}

/** A form field's value as a browser would send it (HTML character references decoded). */
export function formField(html: string, name: string): string | undefined {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  return value?.replace(/&(quot|amp|lt|gt|#39);/g, (_, entity: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', '#39': "'" })[entity]!);
}

/**
 * From an authorization URL to the redirect back to the client: shows the TestID page, submits
 * the person's number and level, and returns the client callback URL (with code or error).
 */
export async function loginWithTestId(
  browser: CookieBrowser,
  authorizationUrl: string,
  redirectUri: string,
  person: { pid: string; acr?: string; action?: 'login' | 'cancel' } = { pid: '28876895937' },
): Promise<string> {
  const isCallback = (u: string) => u.startsWith(redirectUri);
  let page = await browser.follow(authorizationUrl, isCallback);
  if (page.location && isCallback(page.location)) return page.location; // SSO: no page
  if (page.status !== 200 || !page.body.includes('name="pid"')) throw new Error(`expected the TestID page, got ${page.status}: ${page.body.slice(0, 300)}`);
  const submitted = await browser.post(page.action!, {
    csrf: formField(page.body, 'csrf') ?? '',
    pid: person.pid,
    acr: person.acr ?? 'idporten-loa-substantial',
    action: person.action ?? 'login',
  });
  if (!submitted.location) throw new Error(`TestID form did not redirect: ${submitted.status} ${submitted.body.slice(0, 300)}`);
  // The form's request resumes the authorization: straight back to the client, or on to another page.
  page = await browser.follow(submitted.location, isCallback);
  if (!page.location) throw new Error(`did not return to the client: ${page.status} ${page.body.slice(0, 300)}`);
  return page.location;
}
