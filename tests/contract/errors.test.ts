// The error catalog (issue 12): docs/errors.md is the catalog's table, every code in it is used by product
// code (a code nobody reports is a lie in the docs), and the errors the parts throw carry their codes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/load-yaml.js';
import { ERROR_CATALOG, errorCodeOf, renderErrorTable, type ErrorCode } from '../../contract/errors.js';
import { LineError } from '../../cloud-ingest/ingest/line-protocol.js';
import { WriteRefusedError } from '../../cloud-ingest/ingest/writer.js';
import { SpoolWriteError } from '../../gateway/spool/write-io.js';
import { SOURCE_FAULT_CODES } from '../../gateway/pipeline/types.js';
import { uplinkErrorCode } from '../../gateway/uplink/connection.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true })
    .map((name) => join(REPO, dir, String(name)))
    .filter((file) => file.endsWith('.ts') && statSync(file).isFile());
}

describe('error catalog', () => {
  it('docs/errors.md holds the catalog table as generated', () => {
    expect(readFileSync(join(REPO, 'docs/errors.md'), 'utf8')).toContain(renderErrorTable());
  });

  it('every code is reported somewhere in product code', () => {
    const text = ['contract', 'gateway', 'cloud-ingest', 'config'].flatMap(sources).filter((f) => !f.endsWith('contract/errors.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = (Object.keys(ERROR_CATALOG) as ErrorCode[]).filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('the errors the parts throw carry their codes and decisions', () => {
    const cases: [unknown, ErrorCode, string][] = [
      [new ConfigError([{ file: 'site.yaml', line: 3, column: 1, path: ['sources'], message: 'x' }]), 'CONFIG_INVALID', 'config'],
      [new LineError('no fields'), 'LINE_INVALID', 'fatal'],
      [new WriteRefusedError('400 bad line'), 'WRITE_REFUSED', 'fatal'],
      [new SpoolWriteError('telemetry', 'ENOSPC', '/spool/seg', 3, new Error('no space')), 'SPOOL_WRITE_FAILED', 'retryable'],
    ];
    for (const [error, code, decision] of cases) {
      expect(errorCodeOf(error)).toBe(code);
      expect((error as { decision: string }).decision).toBe(decision);
      expect(error).toBeInstanceOf(Error);
    }
    expect(Object.values(SOURCE_FAULT_CODES).every((code) => ERROR_CATALOG[code].by === 'driver')).toBe(true);
  });

  it('uplink connection errors map to what the installer must do', () => {
    const withCode = (code: unknown) => Object.assign(new Error('x'), { code });
    expect(uplinkErrorCode(withCode(5))).toBe('UPLINK_NOT_AUTHORIZED');
    expect(uplinkErrorCode(withCode(4))).toBe('UPLINK_NOT_AUTHORIZED');
    expect(uplinkErrorCode(withCode(3))).toBe('UPLINK_SERVER_BUSY');
    expect(uplinkErrorCode(withCode('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe('UPLINK_TLS');
    expect(uplinkErrorCode(withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toBe('UPLINK_TLS');
    expect(uplinkErrorCode(withCode('ECONNREFUSED'))).toBe('UPLINK_CONNECTION');
    // MQTT 5's reason codes say the same: 134 bad user name or password, 135 not authorized, 136 server unavailable, 137 busy.
    expect([134, 135].map((c) => uplinkErrorCode(withCode(c)))).toEqual(['UPLINK_NOT_AUTHORIZED', 'UPLINK_NOT_AUTHORIZED']);
    expect([136, 137].map((c) => uplinkErrorCode(withCode(c)))).toEqual(['UPLINK_SERVER_BUSY', 'UPLINK_SERVER_BUSY']);
    // Any other CONNACK code, or none, is a connection problem that is retried.
    expect([1, 2, 6, 133, 138, undefined].map((c) => uplinkErrorCode(withCode(c)))).toEqual(Array(6).fill('UPLINK_CONNECTION'));
    for (const tls of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_SSL_WRONG_VERSION_NUMBER', 'HOSTNAME_MISMATCH', 'UNABLE_TO_GET_ISSUER_CERT', 'ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED', 'cert_untrusted']) {
      expect(uplinkErrorCode(withCode(tls)), tls).toBe('UPLINK_TLS');
    }
    expect(uplinkErrorCode(withCode('EPIPE'))).toBe('UPLINK_CONNECTION');
    expect(ERROR_CATALOG[uplinkErrorCode(withCode(5))].decision).toBe('config');
  });
});
