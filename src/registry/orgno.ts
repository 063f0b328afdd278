// Norwegian organisation numbers: nine digits, the last a mod-11 check digit (weights 3 2 7 6 5 4 3 2).
const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];

export function isValidOrgno(orgno: string): boolean {
  if (!/^\d{9}$/.test(orgno)) return false;
  const digits = [...orgno].map(Number);
  const remainder = WEIGHTS.reduce((sum, w, i) => sum + w * digits[i]!, 0) % 11;
  const check = remainder === 0 ? 0 : 11 - remainder;
  return check !== 10 && check === digits[8];
}
