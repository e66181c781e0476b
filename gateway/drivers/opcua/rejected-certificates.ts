// The server certificates waiting in pkiDir/rejected/ with their SHA-1 thumbprints (issue 20: the
// thumbprint to check appeared only in a file name and in node-opcua's stderr). The source's last error
// names them, so the log and the installer console say which thumbprint to compare with the PLC's.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RejectedCertificate {
  readonly file: string;
  /** SHA-1, as PLC displays and vendor tools show it: "AB:CD:…". */
  readonly thumbprint: string;
  readonly subject: string;
}

/** Every readable certificate in `<pkiDir>/rejected/`; an unreadable file is listed by name with no thumbprint. */
export function rejectedCertificates(pkiDir: string): RejectedCertificate[] {
  const dir = join(pkiDir, 'rejected');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.(pem|der|crt)$/i.test(name)).sort();
  } catch {
    return []; // no rejected/ yet: nothing has been refused
  }
  return names.map((name) => {
    const file = join(dir, name);
    try {
      const certificate = new X509Certificate(readFileSync(file));
      return { file, thumbprint: certificate.fingerprint, subject: certificate.subject.replaceAll('\n', ', ') };
    } catch {
      return { file, thumbprint: 'unreadable', subject: '' };
    }
  });
}
