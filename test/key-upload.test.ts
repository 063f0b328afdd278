// Keys arrive as a JWK, a PEM public key or an X.509 certificate (profile §7.3).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFromUpload } from '../src/registry/key-upload.js';

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = publicKey.export({ format: 'jwk' });

function certificate(days: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portvakt-cert-'));
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-days', String(days), '-subj', '/CN=portvakt-test/O=Test/serialNumber=974760673', '-out', path.join(dir, 'cert.pem')]);
  return fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
}

describe('uploading a key', () => {
  it('takes a JWK, a PEM public key and a certificate, and gives the same RSA key with the kid', () => {
    const fromJwk = keyFromUpload(JSON.stringify(jwk), 'k1');
    const fromPem = keyFromUpload(publicKey.export({ format: 'pem', type: 'spki' }) as string, 'k2');
    const fromCert = keyFromUpload(certificate(365), 'k3');
    for (const key of [fromJwk, fromPem, fromCert]) expect(key).toMatchObject({ kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', use: 'sig' });
    expect(fromCert.kid).toBe('k3');
    expect(fromCert.x5c).toHaveLength(1);
  });

  it.each([
    ['a private key (PEM)', () => privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'never a private key'],
    ['a private key (JWK)', () => JSON.stringify(privateKey.export({ format: 'jwk' })), 'private key'],
    ['a 1024-bit key', () => crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string, 'at least 2048'],
    ['an EC key', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string, 'only RSA'],
    ['a certificate valid two years', () => certificate(730), 'at most a year'],
    ['garbage', () => '-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----', 'could not be read'],
  ])('refuses %s with a clear message', (_name, make, message) => {
    expect(() => keyFromUpload(make(), 'k')).toThrow(message);
  });

  it('refuses a bad kid', () => {
    expect(() => keyFromUpload(JSON.stringify(jwk), 'has space')).toThrow('kid must be');
  });
});
