// Optional status providers for the console: spool backlog, uplink state, config validation. The console
// builds them from the runtime's services (the spool, the uplink's `uplinkStatus`); it shows "not
// configured" when nobody offers one, rather than guessing.

export interface SpoolStatus {
  readonly bytes: number;
  /** Records appended but not yet acknowledged by the township, per lane. */
  readonly backlog: Readonly<Record<string, number>>;
  readonly dropped: number;
}

export interface UplinkStatus {
  /** undefined when the owner of the connection has not reported it. */
  readonly connected: boolean | undefined;
  readonly url: string;
  readonly detail?: string;
}

export interface ValidationStatus {
  readonly ok: boolean;
  readonly file: string | undefined;
  readonly summary: string;
  /** One line per problem: file:line:column path: message. */
  readonly issues: readonly string[];
}

export interface ConsoleProviders {
  readonly spool?: () => SpoolStatus | undefined;
  readonly uplink?: () => UplinkStatus | undefined;
  readonly validation?: () => ValidationStatus;
}
