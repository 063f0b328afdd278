// Running nodes take up a change of signing keys (`portvakt keys rotate`) without a restart.
//
// oidc-provider reads its keys once, when it is built, and is not meant to have them changed
// underneath it; so a node builds a new provider with the new keys and hands requests to it from
// then on (app.ts), while requests already under way finish on the one they started on. Everything
// a login keeps between requests lives in the store, not in the provider, so a login that began
// before the change ends after it.
//
// A change reaches the nodes over the change feed (PostgreSQL's LISTEN/NOTIFY, topic
// `signing_keys`) at once; a check every CHECK_INTERVAL_MS catches what a lost notification would
// miss, and lets a long-running node stop publishing retired keys whose grace period has ended.
import type { ChangeFeed } from '../store/change-feed.js';
import type { SigningKeys } from './keys.js';

export const SIGNING_KEYS_TOPIC = 'signing_keys';
export const CHECK_INTERVAL_MS = 5 * 60_000;

/** What a key set publishes and signs with: the same fingerprint, the same provider. */
const fingerprint = (keys: SigningKeys) => `${keys.currentKid} ${keys.privateJwks.map((jwk) => jwk.kid).join(' ')}`;

export interface KeyWatchOptions {
  initial: SigningKeys;
  load: () => Promise<SigningKeys>;
  /** The keys have changed: sign and publish with these from now on. */
  onChange: (keys: SigningKeys) => void;
  onError: (err: unknown) => void;
  changes?: ChangeFeed | undefined;
  intervalMs?: number;
}

export interface KeyWatch {
  /** Loads the keys now and applies them if they changed; settles when done. */
  check(): Promise<void>;
  stop(): void;
}

export function watchSigningKeys({ initial, load, onChange, onError, changes, intervalMs = CHECK_INTERVAL_MS }: KeyWatchOptions): KeyWatch {
  let known = fingerprint(initial);
  let stopped = false;
  // One check at a time, and one more after it when asked meanwhile: the last notification is
  // always followed by a load that started after it.
  let running: Promise<void> | undefined;
  let again = false;

  const loadAndApply = async () => {
    const keys = await load();
    const loaded = fingerprint(keys);
    if (stopped || loaded === known) return;
    known = loaded;
    onChange(keys);
  };
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await loadAndApply().catch(onError);
      } while (again && !stopped);
      running = undefined;
    })();
    return running;
  };

  changes?.subscribe(SIGNING_KEYS_TOPIC, () => void check());
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Tells every node on this database that the keys changed (the CLI, after `keys rotate`). */
export async function announceKeyChange(changes: ChangeFeed | undefined): Promise<void> {
  await changes?.publish(SIGNING_KEYS_TOPIC, 'changed');
}
