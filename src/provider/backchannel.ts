// Outgoing HTTP for back-channel logout (profile §6.3): one attempt, 2 s to connect, 5 s to answer.
// In production oidc-provider's own dispatcher stays in place, which refuses private and loopback
// addresses (SSRF protection); test environments allow them, since relying parties under test
// usually run on localhost.
import { Agent } from 'undici';

export const CONNECT_TIMEOUT_MS = 2000;
export const READ_TIMEOUT_MS = 5000;

export function backchannelFetch(testEnvironment: boolean) {
  const loopbackFriendly = new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS }, headersTimeout: READ_TIMEOUT_MS, bodyTimeout: READ_TIMEOUT_MS });
  return (url: string | URL, options: RequestInit & { dispatcher?: unknown }) =>
    fetch(url, {
      ...options,
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS),
      ...(testEnvironment ? { dispatcher: loopbackFriendly } : {}),
    } as RequestInit);
}
