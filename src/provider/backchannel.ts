// Outgoing HTTP for back-channel logout (profile §6.3): one attempt, 2 s to connect, 5 s to answer.
// In production oidc-provider's own dispatcher stays in place, which refuses private and loopback
// addresses (SSRF protection); test environments allow them, since relying parties under test
// usually run on localhost.

export const CONNECT_TIMEOUT_MS = 2000;
export const READ_TIMEOUT_MS = 5000;

interface AgentOptions { connect: { timeout: number }; headersTimeout: number; bodyTimeout: number }
type AgentClass = new (options: AgentOptions) => object;

/**
 * The Agent class of the undici that Node's own fetch runs on, reached through its global
 * dispatcher the way oidc-provider reaches it (lib/helpers/fetch_request.js). Importing the undici
 * package instead would load a second copy of it: a hundred modules and a seventh of a second at
 * every start, for a dispatcher of the same kind.
 */
function builtInAgent(): AgentClass {
  void Response; // Node loads its undici on first use of a fetch global; loading it installs the global dispatcher
  const global = globalThis as Record<symbol, { constructor?: unknown } | undefined>;
  const dispatcher = global[Symbol.for('undici.globalDispatcher.2')] ?? global[Symbol.for('undici.globalDispatcher.1')];
  if (typeof dispatcher?.constructor !== 'function') throw new Error('this Node.js has no built-in fetch dispatcher (Node 22 or later is required)');
  return dispatcher.constructor as AgentClass;
}

export function backchannelFetch(testEnvironment: boolean) {
  const loopbackFriendly = testEnvironment
    ? new (builtInAgent())({ connect: { timeout: CONNECT_TIMEOUT_MS }, headersTimeout: READ_TIMEOUT_MS, bodyTimeout: READ_TIMEOUT_MS })
    : undefined;
  return (url: string | URL, options: RequestInit & { dispatcher?: unknown }) =>
    fetch(url, {
      ...options,
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS),
      ...(loopbackFriendly ? { dispatcher: loopbackFriendly } : {}),
    } as RequestInit);
}
