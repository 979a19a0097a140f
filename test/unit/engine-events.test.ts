import { describe, expect, it } from 'vitest';
import { engineEventLines } from '../../source/engine/docker/engine-events.js';

const event = (action: string, attributes: Record<string, string>) =>
  `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'abc', Attributes: attributes } })}\n`;

describe('the engine event stream read as whole events', () => {
  it("does not count layertop's own helper's events, even when one comes in many pieces", () => {
    const lines = engineEventLines();
    // An exec event names its whole command: the helper loop's is 40 KB.
    const big = Buffer.from(event(`exec_create: sh -c ${'x'.repeat(40_000)}`, { 'io.layertop.helper': '1' }));
    let counted = 0;
    for (let i = 0; i < big.length; i += 4096) counted += lines.push(big.subarray(i, i + 4096));
    expect(counted).toBe(0);
    expect(lines.push(Buffer.from(event('start', { 'io.layertop.helper': '1', name: 'x' })))).toBe(0);
  });

  it("counts every other event once, whole, however it is cut (a character's bytes split too)", () => {
    const lines = engineEventLines();
    const text = Buffer.from(event('tag', { name: 'lt/é:1' }) + event('create', { name: 'web' }));
    const cut = text.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    expect(lines.push(text.subarray(0, cut))).toBe(0);
    expect(lines.push(text.subarray(cut, cut + 2))).toBe(0);
    expect(lines.push(text.subarray(cut + 2))).toBe(2);
  });

  it('counts a line it cannot read (nothing that matters is missed)', () => {
    expect(engineEventLines().push(Buffer.from('not json\n'))).toBe(1);
  });
});
