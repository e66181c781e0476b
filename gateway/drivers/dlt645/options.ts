// Options of the DL/T 645 driver. Everything an installer sets lives on the bus (config/sections/dlt645.ts:
// port or serial server, 2400 8E1 by default, timeout, time-sync interval and zone) and on the source (the
// 12-digit meter address); what is here is the way a line is opened, which tests replace with their own.
import { openLine, type LineOpener } from './transport.js';

export interface Dlt645DriverOptions {
  /** Opens a bus's serial port or serial-server socket. */
  readonly openLine: LineOpener;
}

export const DEFAULT_DLT645_DRIVER_OPTIONS: Dlt645DriverOptions = { openLine };
