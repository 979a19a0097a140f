// The graph driver's image list proof (engine/storage/overlay2-image-list.ts) on hand-made stores.
import { describe, expect, it } from 'vitest';
import {
  overlay2ListFingerprint,
  overlay2ListMatches,
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
const state = (over: Partial<Parameters<typeof overlay2ListFingerprint>[0]> = {}) => ({
  repositories: STORE,
  contentIds: [A, B, C],
  metadata: [],
  ...over,
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

describe('overlay2ListFingerprint', () => {
  it('is the same for the same state in any order, and differs for every change the list shows', () => {
    const base = overlay2ListFingerprint(state())?.fingerprint;
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(overlay2ListFingerprint(state({ contentIds: [C, A, B] }))?.fingerprint).toBe(base);
    const changed = [
      state({ contentIds: [A, B] }),
      state({ repositories: repos({ busybox: { 'busybox:latest': `sha256:${B}` } }) }),
      state({ repositories: undefined }),
      state({ metadata: [{ id: C, parent: undefined }] }),
      state({ metadata: [{ id: C, parent: Buffer.from(`sha256:${A}`) }] }),
    ].map((s) => overlay2ListFingerprint(s)?.fingerprint);
    for (const f of changed) expect(f).not.toBe(base);
    expect(new Set(changed).size).toBe(changed.length);
  });

  it('names every image of the store with its tags, untagged ones with none', () => {
    const t = overlay2ListFingerprint(state())?.targets;
    expect([...(t?.keys() ?? [])].sort()).toEqual([`sha256:${A}`, `sha256:${B}`, `sha256:${C}`]);
    expect(t?.get(`sha256:${C}`)).toEqual([]);
  });
});

describe('overlay2ListMatches', () => {
  const targets = overlay2ListFingerprint(state())?.targets as Map<string, string[]>;
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
