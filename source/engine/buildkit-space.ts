// The free space BuildKit's min-free-space rule looks at: statfs of BuildKit's state directory
// (f_bfree × f_bsize, reserved blocks included, as BuildKit's disk.GetDiskStat reads it).
import type { ApiInfo } from './docker/api-types.js';
import { HelperError, type HelperSession } from './helper/helper-session.js';
import { storageKind } from './storage/backend.js';

/** BuildKit's root: <data root>/buildkit, or buildkit/containerd-overlayfs on the containerd store. */
export function buildKitRoot(info: ApiInfo): string {
  const containerd = storageKind(info) === 'containerd';
  return `${info.DockerRootDir}/buildkit${containerd ? '/containerd-overlayfs' : ''}`;
}

export async function buildKitFreeBytes(helper: HelperSession, info: ApiInfo): Promise<number> {
  const root = buildKitRoot(info);
  const r = await helper.request('statfs', [root, `${info.DockerRootDir}`]);
  const lines = r.stdout.toString('utf8').trim().split('\n');
  // BuildKit's directory, or the data root when BuildKit has not made it yet (the same disk).
  for (const line of lines) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m) return Number(m[1]) * Number(m[2]);
  }
  throw new HelperError(`cannot read the free space of ${root}: ${lines.join(' ')}`);
}
