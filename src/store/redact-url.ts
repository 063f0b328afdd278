// Database and Redis URLs carry passwords; messages and logs name the place without them.

/** scheme://user:password@host:port/path as scheme://host:port/path; `fallback` for what does not parse. */
export function redactUrl(url: string, fallback: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = ''; // query parameters may carry credentials too (password=…, sslkey=…)
    return parsed.toString();
  } catch {
    return fallback;
  }
}
