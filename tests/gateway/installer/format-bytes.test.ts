// doctor prints sizes in the units the config is written in (issue 20: spool.maxBytes 64MB printed as "67 MB").
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../gateway/installer/doctor-checks.js';
import { parseSize } from '../../../gateway/shared/units.js';

describe('doctor sizes', () => {
  it.each(['64MB', '1MB', '512MB', '2GB', '1.5GB'])('%s prints as configured', (size) => {
    expect(formatBytes(parseSize(size)!).replace(' ', '')).toBe(size);
  });
});
