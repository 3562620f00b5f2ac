// SIP passwords: generated from the crypto random source (injectable for tests), checked when given.
import { randomBytes } from 'node:crypto';
import { InvalidError } from '../errors.ts';

export type RandomBytes = (n: number) => Buffer;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'; // no 0/O, 1/l/I: read aloud, typed on a keypad
export const GENERATED_PASSWORD_LENGTH = 16;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** A random password over an unambiguous alphabet (rejection sampling, no modulo bias). */
export function generateSipPassword(random: RandomBytes = randomBytes, length = GENERATED_PASSWORD_LENGTH): string {
  const limit = 256 - (256 % ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < limit) out += ALPHABET[b % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Printable ASCII, 8..128 characters: what every phone's configuration page accepts. */
export function checkSipPassword(password: unknown, what = 'password'): string {
  if (typeof password !== 'string') throw new InvalidError(`${what} must be a string`);
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
    throw new InvalidError(`${what} must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`);
  if (!/^[\x21-\x7e]+$/.test(password)) throw new InvalidError(`${what} must be printable ASCII without spaces`);
  return password;
}
