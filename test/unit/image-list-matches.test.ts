import { describe, expect, it } from 'vitest';
import { familiarName, imageListMatches } from '../../source/engine/storage/containerd-meta.js';

// containerd's image records: target digest -> names (as in meta.db's images bucket).
const targets = new Map<string, string[]>([
  ['sha256:a', ['docker.io/library/busybox:latest', 'docker.io/library/busybox@sha256:a']],
  ['sha256:b', ['docker.io/lt/app:1', 'docker.io/lt/app:2']],
  ['sha256:c', ['moby-dangling@sha256:c']],
]);

describe('imageListMatches: is a remembered image list the one these records make?', () => {
  const list = [
    { Id: 'sha256:a', RepoTags: ['busybox:latest'] },
    { Id: 'sha256:b', RepoTags: ['lt/app:1', 'lt/app:2'] },
    { Id: 'sha256:c', RepoTags: [] },
  ];

  it('accepts the list of exactly these images and tags (digest names and dangling ones are not tags)', () => {
    expect(imageListMatches(list, targets)).toBe(true);
    expect(imageListMatches([...list.slice(0, 2), { Id: 'sha256:c', RepoTags: null }], targets)).toBe(true);
  });

  it('refuses a list with an image missing, one too many, or one twice', () => {
    expect(imageListMatches(list.slice(0, 2), targets)).toBe(false);
    expect(imageListMatches([...list, { Id: 'sha256:d', RepoTags: [] }], targets)).toBe(false);
    expect(imageListMatches([list[0], list[0], list[2]] as typeof list, targets)).toBe(false);
  });

  it('refuses a list with the same number of tags but other names (a tag renamed in a race)', () => {
    const renamed = [
      list[0],
      { Id: 'sha256:b', RepoTags: ['lt/app:1', 'lt/app:staging'] },
      list[2],
    ] as typeof list;
    expect(imageListMatches(renamed, targets)).toBe(false);
  });

  it("reads containerd's names as Docker shows them", () => {
    expect(familiarName('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(familiarName('docker.io/lt/app:1')).toBe('lt/app:1');
    expect(familiarName('docker.io/library/a/b:1')).toBe('library/a/b:1');
    expect(familiarName('registry.example:5000/x:1')).toBe('registry.example:5000/x:1');
  });

  it('refuses a list whose tags are not these (a tag added, or moved to another image)', () => {
    const moved = [
      { Id: 'sha256:a', RepoTags: ['busybox:latest', 'lt/app:2'] },
      { Id: 'sha256:b', RepoTags: ['lt/app:1'] },
      list[2],
    ] as typeof list;
    expect(imageListMatches(moved, targets)).toBe(false);
    expect(imageListMatches([{ Id: 'sha256:a', RepoTags: [] }, ...list.slice(1)], targets)).toBe(false);
  });
});
