import { describe, expect, it } from 'vitest';
import {
  cleanCommand,
  layerCommandsFromApiHistory,
  layerCommandsFromConfig,
} from '../../source/model/history.js';
import { counted, sizeText } from '../../source/model/size-text.js';

describe('sizeText (docker images: three significant digits, rounded)', () => {
  it.each([
    [0, '0B'],
    [436, '436B'],
    [8192, '8.19kB'],
    [20013, '20kB'],
    [1984162, '1.98MB'],
    [3083677, '3.08MB'],
    [209863913, '210MB'],
    [205253687, '205MB'],
    [72800000, '72.8MB'],
    [1000000, '1MB'],
    // go-units prints "1e+03kB" here; the value moves to the next unit instead.
    [999999, '1MB'],
    [999499, '999kB'],
    [9996, '10kB'],
    [99960, '100kB'],
    [1e12, '1TB'],
    [-5, '-5B'],
  ])('%d bytes → %s', (n, s) => expect(sizeText(n)).toBe(s));
});

describe('build commands per layer', () => {
  it('takes the layer-making steps from the config history, bottom to top', () => {
    const history = [
      { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
      { created_by: 'RUN /bin/sh -c make # buildkit' },
    ];
    expect(layerCommandsFromConfig(history, 2)).toEqual(['ADD file:abc in /', 'RUN make']);
  });

  it('falls back to the API history (newest first), skipping metadata-only steps', () => {
    const api = [
      { CreatedBy: 'CMD ["sleep" "infinity"]', Size: 0 },
      { CreatedBy: 'RUN /bin/sh -c true # buildkit', Size: 0 },
      { CreatedBy: 'Imported from -', Size: 100 },
    ];
    expect(layerCommandsFromApiHistory(api, 2)).toEqual(['Imported from -', 'RUN true']);
  });

  it('aligns from the top when the history does not match the layer count', () => {
    expect(layerCommandsFromConfig([{ created_by: 'RUN a' }], 3)).toEqual([undefined, undefined, 'RUN a']);
    expect(cleanCommand('/bin/sh -c apt-get update')).toBe('RUN apt-get update');
  });
});

describe('counted', () => {
  it('writes one thing in the singular, any other count in the plural', () => {
    expect([0, 1, 2].map((n) => counted(n, 'entry', 'entries'))).toEqual([
      '0 entries',
      '1 entry',
      '2 entries',
    ]);
  });
});
