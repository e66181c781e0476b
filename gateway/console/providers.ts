// Optional status providers for the console: spool backlog, uplink state, config validation. Stages
// that own this state register a provider for their runtime; the console shows "not configured" when
// nobody did, rather than guessing.
import type { RuntimeContext } from '../runtime.js';

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

const registered = new WeakMap<RuntimeContext, { spool?: ConsoleProviders['spool']; uplink?: ConsoleProviders['uplink'] }>();

/** Called by the uplink stage (or anything owning the connection) so the console can show its state. */
export function provideUplinkStatus(context: RuntimeContext, provider: () => UplinkStatus | undefined): void {
  registered.set(context, { ...registered.get(context), uplink: provider });
}

/** Called by the spool stage (or anything owning the spool) so the console can show the backlog. */
export function provideSpoolStatus(context: RuntimeContext, provider: () => SpoolStatus | undefined): void {
  registered.set(context, { ...registered.get(context), spool: provider });
}

export function registeredProviders(context: RuntimeContext): { spool?: ConsoleProviders['spool']; uplink?: ConsoleProviders['uplink'] } {
  return registered.get(context) ?? {};
}
