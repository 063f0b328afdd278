// Levels of assurance as ID-porten names them. A requested value is a minimum: high satisfies a
// request for substantial (profile §2.3).

export const ACR_VALUES = ['idporten-loa-substantial', 'idporten-loa-high'] as const;
export type Acr = (typeof ACR_VALUES)[number];

const RANK: Record<Acr, number> = { 'idporten-loa-substantial': 1, 'idporten-loa-high': 2 };

export function isAcr(value: unknown): value is Acr {
  return typeof value === 'string' && (ACR_VALUES as readonly string[]).includes(value);
}

/** The lowest level that satisfies every requested value (space-separated), or undefined if none was requested. */
export function requiredAcr(acrValues: string | undefined): Acr | undefined {
  const requested = (acrValues ?? '').split(' ').filter(isAcr);
  if (!requested.length) return undefined;
  return requested.reduce((a, b) => (RANK[a] >= RANK[b] ? a : b));
}

export function satisfies(actual: string | undefined, required: Acr | undefined): boolean {
  if (!required) return true;
  return isAcr(actual) && RANK[actual] >= RANK[required];
}

/** Values ID-porten knows but Portvakt cannot deliver, so the error can say so instead of "invalid". */
export const KNOWN_UNSUPPORTED_ACR = ['idporten-loa-low', 'eidas-loa-low', 'eidas-loa-substantial', 'eidas-loa-high', 'selfregistered-email', 'Level3', 'Level4'];
