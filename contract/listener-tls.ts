// TLS for a listener (issue 13 item 14): the certificate, its key, and optionally a CA whose client
// certificates are required. The same section on every listener that leaves the box: the township
// broker and console, the installer console and the local broker (docs/security.md: making the files).
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { z } from 'zod';

const pemFile = z.string().min(1).refine(isAbsolute, 'use an absolute path, e.g. /etc/lastmile/tls/server.crt');

export const listenerTls = z.strictObject({
  certFile: pemFile.describe('PEM certificate chain (server certificate first)'),
  keyFile: pemFile.describe('PEM private key, mode 0600 (refused at start when group or others can read it)'),
  caFile: pemFile.optional().describe('PEM CA: clients must present a certificate it signed (mutual TLS), besides their password'),
});

export type ListenerTls = z.infer<typeof listenerTls>;

/** Why a key file may not be used (readable by group or others), or undefined. */
export function keyFileProblem(file: string): string | undefined {
  const mode = statSync(file).mode & 0o777;
  return (mode & 0o077) === 0 ? undefined : `${file} is readable by others (mode ${mode.toString(8)}): run chmod 600 ${file}`;
}

/**
 * The options of a TLS server for this section (TLS 1.2 at least; with caFile, a client certificate
 * from that CA is required). Throws naming `what` (the config path) when a file is missing or the key
 * is readable by others: a listener never starts on a key anyone on the box could copy.
 */
export function tlsServerOptions(tls: ListenerTls, what: string): TlsOptions {
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`${what}.${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const cert = read(tls.certFile, 'certFile');
  const key = read(tls.keyFile, 'keyFile');
  const problem = keyFileProblem(tls.keyFile);
  if (problem) throw new Error(`${what}.keyFile: ${problem}`);
  const ca = tls.caFile === undefined ? undefined : read(tls.caFile, 'caFile');
  return { cert, key, minVersion: 'TLSv1.2', ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) };
}
