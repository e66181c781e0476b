// Sources: configured device instances (profile + connection + poll + location tags). The fields every
// source has are in ./source-base.ts; each driver adds its own (gateway/drivers/<name>/plugin.ts), taken
// from the driver registry. The profile's `driver:` says which driver's fields a source must give.
import { z } from 'zod';
import { DRIVER_SOURCE_FIELDS } from '../../gateway/drivers/registry.js';
import { sourceHead, sourceTail } from './source-base.js';

export { decodeOverride } from './source-base.js';

export const source = z.strictObject({ ...sourceHead, ...DRIVER_SOURCE_FIELDS, ...sourceTail });
export type Source = z.infer<typeof source>;
