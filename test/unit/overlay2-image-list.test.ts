// The graph driver's image list proof (engine/storage/overlay2-image-list.ts) on hand-made stores.
import { describe, expect, it } from 'vitest';
import {
  overlay2ListMatches,
  overlay2ListTargets,
  tagsByImage,
} from '../../source/engine/storage/overlay2-image-list.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const repos = (r: Record<string, Record<string, string>>) => Buffer.from(JSON.stringify({ Repositories: r }));
const STORE = repos({
  busybox: { 'busybox:latest': `sha256:${A}`, 'busybox@sha256:1234': `sha256:${A}` },
  'docker.io/library/debian': { 'docker.io/library/debian:12': `sha256:${B}` },
  app: { 'app:1': `sha256:${B}`, 'app:2': `sha256:${B}` },
});
describe('tagsByImage', () => {
  it('gives each image its tags as Docker shows them, digest references left out', () => {
    const tags = tagsByImage(STORE);
    expect(tags?.get(`sha256:${A}`)).toEqual(['busybox:latest']);
    expect(tags?.get(`sha256:${B}`)?.sort()).toEqual(['app:1', 'app:2', 'debian:12']);
    expect(tags?.has(`sha256:${C}`)).toBe(false);
  });

  it('is empty without the file, and undefined for one of another shape', () => {
    expect(tagsByImage(undefined)?.size).toBe(0);
    expect(tagsByImage(Buffer.from('{"Repositories":'))).toBeUndefined();
    expect(tagsByImage(Buffer.from('{"Repositories":[]}'))).toBeUndefined();
    expect(tagsByImage(repos({ x: { 'x:1': 5 as unknown as string } }))).toBeUndefined();
  });
});

describe('overlay2ListTargets', () => {
  it('names every image of the store with its tags, untagged ones with none', () => {
    const t = overlay2ListTargets(STORE, [A, B, C]);
    expect([...(t?.keys() ?? [])].sort()).toEqual([`sha256:${A}`, `sha256:${B}`, `sha256:${C}`]);
    expect(t?.get(`sha256:${A}`)).toEqual(['busybox:latest']);
    expect(t?.get(`sha256:${C}`)).toEqual([]);
    // A tag of an image whose config is gone names no image of the store.
    expect(overlay2ListTargets(STORE, [A, C])?.has(`sha256:${B}`)).toBe(false);
    expect(overlay2ListTargets(Buffer.from('not json'), [A])).toBeUndefined();
  });
});

describe('overlay2ListMatches', () => {
  const targets = overlay2ListTargets(STORE, [A, B, C]) as Map<string, string[]>;
  const list = [
    { Id: `sha256:${A}`, RepoTags: ['busybox:latest'] },
    { Id: `sha256:${B}`, RepoTags: ['debian:12', 'app:2', 'app:1'] },
    { Id: `sha256:${C}`, RepoTags: [] },
  ];

  it('holds for the list this state makes, an untagged image listed or hidden', () => {
    expect(overlay2ListMatches(list, targets)).toBe(true);
    expect(overlay2ListMatches(list.slice(0, 2), targets)).toBe(true);
    expect(
      overlay2ListMatches([...list.slice(0, 2), { Id: `sha256:${C}`, RepoTags: ['<none>:<none>'] }], targets),
    ).toBe(true);
  });

  it('fails for a list of another state: a tag moved, added or gone, an image gone or unknown', () => {
    const moved = [
      { Id: `sha256:${A}`, RepoTags: ['busybox:latest', 'app:2'] },
      { Id: `sha256:${B}`, RepoTags: ['debian:12', 'app:1'] },
    ];
    expect(overlay2ListMatches(moved, targets)).toBe(false);
    expect(
      overlay2ListMatches([list[0], { ...list[1], RepoTags: ['debian:12'] }] as typeof list, targets),
    ).toBe(false);
    // A tagged image missing from the list.
    expect(overlay2ListMatches([list[1], list[2]] as typeof list, targets)).toBe(false);
    expect(overlay2ListMatches([...list, { Id: `sha256:${'d'.repeat(64)}`, RepoTags: [] }], targets)).toBe(
      false,
    );
    expect(overlay2ListMatches([...list, list[0]] as typeof list, targets)).toBe(false);
  });
});
