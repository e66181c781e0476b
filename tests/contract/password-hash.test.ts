import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../contract/password-hash.js';
import { TEST_SCRYPT } from '../gateway/local-broker/harness.js';

describe('scrypt password hashes', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const line = await hashPassword('correct horse', TEST_SCRYPT);
    expect(line).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const parsed = parsePasswordHash(line);
    if ('error' in parsed) throw new Error(parsed.error);
    expect(await verifyPassword(parsed, 'correct horse')).toBe(true);
    expect(await verifyPassword(parsed, 'correct horsE')).toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('same', TEST_SCRYPT)).not.toBe(await hashPassword('same', TEST_SCRYPT));
  });

  it('refuses lines that are not hashes, and costs that could exhaust memory', () => {
    expect(parsePasswordHash('hunter2')).toHaveProperty('error');
    expect(parsePasswordHash('scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).toHaveProperty('error');
    expect(parsePasswordHash(`scrypt$${2 ** 24}$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`)).toHaveProperty('error');
  });
});
