import { describe, expect, it } from 'vitest';
import {
  parseSweptIds,
  parseSweptSplits,
  SweepFormatError,
} from '../../source/engine/helper/layerdb-sweep.js';

const DIR = '/var/lib/dockér/image/overlay2/layerdb/sha256';
const A = 'a'.repeat(64);
const B = `${'0123456789abcdef'.repeat(4)}`;
const out = (...lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');

describe('parseSweptIds', () => {
  it("takes each chain's cache-id and size, a file of several lines joined as the file holds them", () => {
    const m = parseSweptIds(
      out(
        `${DIR}/${A}/cache-id:${'c'.repeat(64)}`,
        `${DIR}/${A}/size:1234`,
        `${DIR}/${B}/size:5`,
        `${DIR}/${B}/size:: x`,
      ),
      DIR,
    );
    expect(Object.fromEntries(m)).toEqual({
      [A]: { cacheId: 'c'.repeat(64), size: '1234' },
      [B]: { size: '5\n: x' },
    });
  });

  it('keeps bytes that are not UTF-8 as the read op gave them (decoded once, by the reader)', () => {
    const line = Buffer.concat([
      Buffer.from(`${DIR}/${A}/cache-id:`),
      Buffer.from([0xff, 0x41]),
      Buffer.from('\n'),
    ]);
    expect(parseSweptIds(line, DIR).get(A)?.cacheId).toBe(Buffer.from([0xff, 0x41]).toString('utf8'));
  });

  it('gives nothing for no line (every file empty or absent)', () => {
    expect(parseSweptIds(Buffer.alloc(0), DIR).size).toBe(0);
  });

  it.each([
    ['a path outside the store', `/etc/${A}/cache-id:x`],
    ['a name that is no chain', `${DIR}/${'g'.repeat(64)}/cache-id:x`],
    ['a file of another name', `${DIR}/${A}/parent:x`],
    ['a file deeper down', `${DIR}/${A}/x/cache-id:x`],
    ['a sibling directory whose name starts like the store', `${DIR}x/${A}/size:1`],
  ])('refuses %s', (_why, line) => {
    expect(() => parseSweptIds(out(line), DIR)).toThrow(SweepFormatError);
  });

  it('refuses output cut inside a line', () => {
    expect(() => parseSweptIds(Buffer.from(`${DIR}/${A}/size:12`), DIR)).toThrow(SweepFormatError);
  });
});

describe('parseSweptSplits', () => {
  it("takes each chain's tar-split size in bytes", () => {
    expect(Object.fromEntries(parseSweptSplits(out(`${DIR}/${A} 0`, `${DIR}/${B} 8123456`), DIR))).toEqual({
      [A]: 0,
      [B]: 8123456,
    });
  });

  it.each([
    ['a size that is not a number', `${DIR}/${A} 12k`],
    ['no size', `${DIR}/${A}`],
    ['a path outside the store', `/tmp/${A} 1`],
    ['a deeper path', `${DIR}/${A}/x 1`],
  ])('refuses %s', (_why, line) => {
    expect(() => parseSweptSplits(out(line), DIR)).toThrow(SweepFormatError);
  });

  it('refuses a chain twice', () => {
    expect(() => parseSweptSplits(out(`${DIR}/${A} 1`, `${DIR}/${A} 2`), DIR)).toThrow(SweepFormatError);
  });
});
