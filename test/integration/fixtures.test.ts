import { describe, expect, it } from 'vitest';
import { client, engineNames } from '../support/engines.js';

// Layers per fixture image, by construction of test/fixtures/images/*.Dockerfile.
const EXPECTED_LAYERS: Record<string, number> = {
  'busybox:latest': 1,
  'layertop-test/debian:bookworm': 1,
  'layertop-test/common:latest': 2,
  'layertop-test/app-a:latest': 3,
  'layertop-test/app-b:latest': 3,
  'layertop-test/overwrite:latest': 3,
  'layertop-test/edge:latest': 4,
  'layertop-test/many:latest': 2,
  'layertop-test/hostile:latest': 3,
  'layertop-test/dangling:latest': 2,
};

describe.each(engineNames())('fixtures on the %s engine', (name) => {
  it('has every test image with its layers, as the engine reports them through dockerode', async () => {
    const c = await client(name);
    const info = (await c.docker.info()) as { Driver: string; DriverStatus: [string, string][] };
    if (name === 'overlay2') expect(info.Driver).toBe('overlay2');
    else expect(info.DriverStatus).toContainEqual(['driver-type', 'io.containerd.snapshotter.v1']);
    for (const [tag, layers] of Object.entries(EXPECTED_LAYERS)) {
      const img = (await c.docker.getImage(tag).inspect()) as { RootFS: { Layers: string[] } };
      expect([tag, img.RootFS.Layers.length]).toEqual([tag, layers]);
    }
    if (name === 'overlay2') {
      // The containerd store (Docker 26) drops the untagged first generation instead of keeping it.
      const list = (await c.docker.listImages({ all: true })) as { RepoTags?: string[] | null }[];
      const dangling = list.filter((i) => !i.RepoTags?.length || i.RepoTags.includes('<none>:<none>'));
      expect(dangling.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('has a running, a stopped and a created container, a volume, a network and build cache', async () => {
    const c = await client(name);
    const containers = (await c.docker.listContainers({ all: true })) as { Names: string[]; State: string }[];
    const state = Object.fromEntries(containers.map((x) => [x.Names[0]?.slice(1), x.State]));
    expect(state).toMatchObject({ 'lt-running': 'running', 'lt-stopped': 'exited', 'lt-created': 'created' });
    const df = (await c.docker.df()) as { BuildCache: unknown[]; Volumes: { Name: string }[] };
    expect(df.BuildCache.length).toBeGreaterThan(0);
    expect(df.Volumes.map((v) => v.Name)).toEqual(expect.arrayContaining(['lt-named', 'lt-unused-vol']));
    const nets = (await c.docker.listNetworks()) as { Name: string }[];
    expect(nets.map((n) => n.Name)).toContain('lt-unused-net');
  });
});
