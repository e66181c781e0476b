// Suppression windows (gateway/alarms/suppression.ts): a dated window holds from its start up to, not
// including, its end; a daily window only in its hours; none while the wall clock is not synced.
import { describe, expect, it } from 'vitest';
import { openSuppression } from '../../../gateway/alarms/suppression.js';

describe('suppression windows', () => {
  const start = Date.parse('2026-12-02T09:00:00Z');
  const end = Date.parse('2026-12-02T11:00:00Z');
  const dated = { start: new Date(start).toISOString(), end: new Date(end).toISOString(), reason: 'pump maintenance' };

  it('a dated window opens at its start and is closed at its end', () => {
    expect(openSuppression([dated], start - 1, true)).toBeUndefined();
    expect(openSuppression([dated], start, true)).toBe('pump maintenance');
    expect(openSuppression([dated], end - 1, true)).toBe('pump maintenance');
    expect(openSuppression([dated], end, true)).toBeUndefined();
    expect(openSuppression([dated], start, false)).toBeUndefined();
  });

  it('a daily window is open only in its hours, in the zone given; the first open window gives the reason', () => {
    const drill = { from: '14:00', to: '15:00', reason: 'fire drill' };
    const at = (hhmm: string) => Date.parse(`2026-12-02T${hhmm}:00+08:00`);
    expect(openSuppression([drill], at('13:59'), true, 'Asia/Shanghai')).toBeUndefined();
    expect(openSuppression([drill], at('14:00'), true, 'Asia/Shanghai')).toBe('fire drill');
    expect(openSuppression([drill], at('15:00'), true, 'Asia/Shanghai')).toBeUndefined();
    expect(openSuppression([dated, drill], at('14:30'), true, 'Asia/Shanghai')).toBe('fire drill');
    expect(openSuppression([drill, { ...drill, reason: 'second' }], at('14:30'), true, 'Asia/Shanghai')).toBe('fire drill');
  });
});
