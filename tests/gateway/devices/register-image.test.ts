// The register image of one poll: points are sliced out of the blocks that were read, by function code and
// wire address; a point with any register missing is left out, never decoded from a partial answer.
import { describe, expect, it } from 'vitest';
import { RegisterImage } from '../../../gateway/devices/register-image.js';
import type { ResolvedPoint } from '../../../gateway/devices/resolve.js';
import { resolvedPoint } from '../../helpers/resolved-point.js';

const point = (id: string, fields: Partial<ResolvedPoint>): ResolvedPoint => resolvedPoint({ id, ...fields });

describe('RegisterImage', () => {
  it('keeps function codes apart at the same address: holding, input registers, coils and inputs', () => {
    const image = new RegisterImage();
    image.setWords(3, 10, [0x0103, 0x0104]);
    image.setWords(4, 10, [0x0403]);
    image.setBits(1, 10, [true, false]);
    image.setBits(2, 10, [false]);
    const values = image.valuesFor([
      point('holding', { address: 10 }),
      point('input', { function: 4, address: 10 }),
      point('coil', { function: 1, type: 'bit', address: 11 }),
      point('coil0', { function: 1, type: 'bit', address: 10 }),
      point('discrete', { function: 2, type: 'bit', address: 10 }),
      point('wide', { type: 'u32', address: 10 }),
    ]);
    expect(Object.fromEntries(values)).toEqual({
      holding: { kind: 'registers', words: [0x0103] },
      input: { kind: 'registers', words: [0x0403] },
      coil: { kind: 'bits', bits: [false] },
      coil0: { kind: 'bits', bits: [true] },
      discrete: { kind: 'bits', bits: [false] },
      wide: { kind: 'registers', words: [0x0103, 0x0104] },
    });
  });

  it('leaves out a point with a register outside every block, and the later of two overlapping reads wins', () => {
    const image = new RegisterImage();
    image.setWords(3, 0, [1, 2, 3]);
    image.setWords(3, 2, [30, 40]);
    const values = image.valuesFor([
      point('a', { address: 0 }),
      point('c', { address: 2 }),
      point('d', { address: 3 }),
      point('past', { address: 4 }),
      point('before', { address: 0xffff }),
      point('straddle', { type: 'u32', address: 3 }),
      point('halfOut', { type: 'u32', address: 4 }),
      point('noBits', { function: 1, type: 'bit', address: 0 }),
    ]);
    expect(Object.fromEntries(values)).toEqual({
      a: { kind: 'registers', words: [1] },
      c: { kind: 'registers', words: [30] },
      d: { kind: 'registers', words: [40] },
    });
  });
});
