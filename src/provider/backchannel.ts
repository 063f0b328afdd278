// Outgoing HTTP for back-channel logout (profile §6.3): one attempt, 2 s to connect, 5 s to answer.
// In production oidc-provider's own dispatcher stays in place, which refuses private and loopback
// addresses (SSRF protection); test environments allow them, since relying parties under test
// usually run on localhost.
import type { Dispatcher } from 'undici';

export const CONNECT_TIMEOUT_MS = 2000;
export const READ_TIMEOUT_MS = 5000;

export function backchannelFetch(testEnvironment: boolean) {
  // undici (for a dispatcher with these timeouts) is loaded at the first back-channel logout, not
  // at start, where it cost a twentieth of a second.
  let loopbackFriendly: Promise<Dispatcher> | undefined;
  const dispatcher = () =>
    (loopbackFriendly ??= import('undici').then(({ Agent }) => new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS }, headersTimeout: READ_TIMEOUT_MS, bodyTimeout: READ_TIMEOUT_MS })));
  return async (url: string | URL, options: RequestInit & { dispatcher?: unknown }) =>
    fetch(url, {
      ...options,
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS),
      ...(testEnvironment ? { dispatcher: await dispatcher() } : {}),
    } as RequestInit);
}
