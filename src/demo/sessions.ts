// The demo service's own sessions, in memory: what a relying party keeps after a login, found again
// by its cookie or, for front-channel logout, by the provider's sid.
import crypto from 'node:crypto';

export interface DemoSession {
  id: string;
  idToken: string;
  claims: Record<string, unknown>;
  userinfo: unknown;
  sid: string | undefined;
  locale: string;
}

const MAX_SESSIONS = 10_000;

export class DemoSessions {
  private readonly byId = new Map<string, DemoSession>();

  create(session: Omit<DemoSession, 'id'>): DemoSession {
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
    const created = { ...session, id: crypto.randomBytes(24).toString('base64url') };
    this.byId.set(created.id, created);
    return created;
  }

  find(id: string | undefined): DemoSession | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  /** Front-channel logout: ends every local session of that provider session. */
  endBySid(sid: string): number {
    let ended = 0;
    for (const [id, session] of this.byId) {
      if (session.sid === sid) {
        this.byId.delete(id);
        ended++;
      }
    }
    return ended;
  }
}
