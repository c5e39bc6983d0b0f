// Reading and writing key files: private JWKs are written 0600 and never printed.
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet, JWK } from 'jose';
import { importSigningKey } from '../core/keys/signing-key.ts';
import type { SigningKey } from '../core/keys/signing-key.ts';
import { CliError } from './exit-codes.ts';

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} ${file} is not JSON`);
  }
}

export async function readSigningKey(file: string): Promise<SigningKey> {
  const jwk = (await readJson(file, 'key file')) as JWK;
  try {
    return await importSigningKey(jwk);
  } catch (e) {
    throw new CliError(`key file ${file}: ${(e as Error).message}`);
  }
}

export async function readTrustBundle(file: string): Promise<JSONWebKeySet> {
  const value = (await readJson(file, 'trust bundle')) as Partial<JSONWebKeySet>;
  if (!Array.isArray(value.keys)) throw new CliError(`trust bundle ${file} is not a JWKS ({"keys": [...]})`);
  return value as JSONWebKeySet;
}
