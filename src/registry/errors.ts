// Domain errors carry a stable code that callers branch on; messages are for people.

export class DomainError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A client registration that breaks a rule; names the client and the field so the fix is obvious.
 * `rule` and `params` let pages say the same in the person's language (ui/i18n `rule.*`).
 */
export class ClientValidationError extends DomainError {
  constructor(
    readonly clientId: string | undefined,
    readonly field: string,
    detail: string,
    readonly rule: string = 'other',
    readonly params: Record<string, string> = {},
  ) {
    super('client.invalid_field', `${clientId ? `client "${clientId}"` : 'client'}: ${field} ${detail}`);
  }
}
