import { describe, expect, it } from 'vitest';
import type { ApiDfImage } from '../../source/engine/docker/api-types.js';
import { sameImagesAndTags } from '../../source/engine/scan.js';

const img = (Id: string, RepoTags: string[] | null): ApiDfImage => ({
  Id,
  RepoTags,
  Created: 0,
  Size: 1,
  SharedSize: 0,
  Containers: 0,
});

describe('a remembered image list against the engine answer', () => {
  const before = [img('a', ['app:1', 'app:latest']), img('b', null)];
  it('is the same with the same images and tags in any order', () => {
    expect(sameImagesAndTags(before, [img('b', []), img('a', ['app:latest', 'app:1'])])).toBe(true);
  });
  it('is stale when a tag is added, moved or removed, or an image comes or goes', () => {
    expect(sameImagesAndTags(before, [img('a', ['app:1', 'app:latest', 'app:2']), img('b', null)])).toBe(
      false,
    );
    expect(sameImagesAndTags(before, [img('a', ['app:1']), img('b', ['app:latest'])])).toBe(false);
    expect(sameImagesAndTags(before, [img('a', ['app:1', 'app:latest'])])).toBe(false);
    expect(sameImagesAndTags(before, [img('a', ['app:1', 'app:latest']), img('c', null)])).toBe(false);
  });
  it('takes <none>:<none> as no tag, and an image listed twice as not the same list', () => {
    expect(sameImagesAndTags(before, [img('a', ['app:1', 'app:latest']), img('b', ['<none>:<none>'])])).toBe(
      true,
    );
    expect(sameImagesAndTags([img('a', []), img('b', [])], [img('a', []), img('a', [])])).toBe(false);
    expect(sameImagesAndTags([img('a', []), img('a', [])], [img('a', []), img('b', [])])).toBe(false);
  });
});
