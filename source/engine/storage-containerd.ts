import type { ApiInfo } from './api-types.js';
import type { HelperSession } from './helper-session.js';
import type { ModelImage } from './storage-containerd-types.js';
import type { StorageLayout } from './storage-layout.js';

/**
 * The containerd image store. Which snapshot directory holds which layer is recorded only in
 * containerd's bbolt metadata; until layertop reads it, the layout is empty and the scan shows the
 * engine's own figures without disk measurements (the README says so).
 */
export async function containerdLayout(
  _helper: HelperSession,
  info: ApiInfo,
  _chainIds: readonly string[],
  _containerIds: readonly string[],
  _images: readonly ModelImage[],
): Promise<StorageLayout> {
  const hex = (id: string) => id.replace(/^sha256:/, '');
  const root = `${info.DockerRootDir}/containerd/daemon`;
  return {
    kind: 'containerd',
    dataRoot: info.DockerRootDir,
    layers: new Map(),
    containers: new Map(),
    buildCacheDirs: [],
    contentSub: 'fs',
    imageConfigPath: (id) => `${root}/io.containerd.content.v1.content/blobs/sha256/${hex(id)}`,
    extraTargets: [],
  };
}
