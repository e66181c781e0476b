// `drivers:` in the site config: the options of a driver that hold for all its sources (OPC UA channel
// security, which GPIO port), one block per driver that declares site options (gateway/drivers/<name>/
// options.ts), taken from the driver registry. Every block has defaults, so a site may leave it out.
import { z } from 'zod';
import { DRIVER_SITE_OPTIONS } from '../../gateway/drivers/registry.js';

export const driversSection = z.strictObject(DRIVER_SITE_OPTIONS).describe('Options of a driver that hold for all its sources, by driver name');
export type DriversSection = z.infer<typeof driversSection>;
