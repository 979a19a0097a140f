// Hand-made scan inputs for fast tests of the model and the TUI.
import { chainIds } from '../../source/model/chain-id.js';
import { buildScanModel, type ScanModel } from '../../source/model/report.js';
import type { BuildCacheRecord, ContainerInput, ImageInput, LayerFacts } from '../../source/model/types.js';
import type { EngineData } from '../../source/tui/engine-data.js';

const d = (s: string) => `sha256:${s.padEnd(64, '0')}`;

export interface LayerSpec {
  id: string;
  size: number;
  disk: number;
  cmd: string;
}

export function makeModel(
  images: { id: string; tags: string[]; layers: LayerSpec[]; created?: number }[],
  containers: Partial<ContainerInput>[] = [],
): ScanModel {
  const facts = new Map<string, LayerFacts>();
  const inputs: ImageInput[] = images.map((img, k) => {
    const diffIds = img.layers.map((l) => d(l.id));
    chainIds(diffIds).forEach((c, i) => {
      const l = img.layers[i] as LayerSpec;
      facts.set(c, {
        chainId: c,
        size: l.size,
        measuredSize: l.size,
        diskBytes: l.disk,
        path: `/data/overlay2/${l.id}`,
      });
    });
    return {
      id: d(img.id),
      tags: img.tags,
      created: img.created ?? 1000 + k,
      diffIds,
      layerCommands: img.layers.map((l) => l.cmd),
    };
  });
  const cs: ContainerInput[] = containers.map((c, i) => ({
    id: c.id ?? `c${i}`.padEnd(64, 'f'),
    name: c.name ?? `container-${i}`,
    imageId: d(c.imageId ?? ''),
    image: c.image ?? '',
    state: c.state ?? 'running',
    created: c.created ?? 0,
    volumes: [],
    networks: [],
    sizeRw: c.sizeRw ?? 0,
    diskBytes: c.diskBytes ?? 0,
    metaDiskBytes: c.metaDiskBytes ?? 0,
  }));
  return buildScanModel({
    engine: {
      host: 'unix:///test.sock',
      version: '26.1.5',
      apiVersion: '1.45',
      storage: 'overlay2',
      dataRoot: '/data',
    },
    images: inputs,
    layerFacts: facts,
    containers: cs,
    volumes: [],
    networks: [],
    buildCache: { records: 0, size: 0 },
  });
}

export const base: LayerSpec = { id: 'ba5e', size: 100_000_000, disk: 110_000_000, cmd: 'ADD rootfs.tar /' };
export const common: LayerSpec = { id: 'c0', size: 2_000_000, disk: 2_100_000, cmd: 'RUN make common' };

/** Two apps on a shared base and common layer, and one lone image. */
export const SAMPLE_IMAGES: Parameters<typeof makeModel>[0] = [
  {
    id: 'aaa1',
    tags: ['shop/app-a:latest', 'shop/app-a:v2'],
    layers: [base, common, { id: 'a1', size: 1_000_000, disk: 1_050_000, cmd: 'RUN build a' }],
  },
  {
    id: 'bbb1',
    tags: ['shop/app-b:latest'],
    layers: [base, common, { id: 'b1', size: 500_000, disk: 520_000, cmd: 'RUN build b' }],
  },
  {
    id: 'ccc1',
    tags: ['tools/lone:1'],
    layers: [{ id: 'l0', size: 7_000, disk: 8_192, cmd: 'ADD lone /' }],
  },
];

/** The web container on app-a. */
export const WEB: Partial<ContainerInput> = {
  name: 'web',
  imageId: 'aaa1',
  image: 'shop/app-a:latest',
  state: 'running',
  sizeRw: 3_000_000,
  diskBytes: 3_100_000,
};

/** The sample images with the web container on app-a. */
export function sampleModel(): ScanModel {
  return makeModel(SAMPLE_IMAGES, [WEB]);
}

/**
 * What the explorer gets once a scan is done. The engine calls of the cleanup flow are given by the
 * test (component tests only: the real ones run against test engines in the tmux test).
 */
export function readyData(
  model: ScanModel,
  engine: Partial<
    Pick<EngineData, 'rescanNow' | 'runPlan' | 'filesTarget' | 'listNames' | 'listFiles' | 'readFile'>
  > = {},
): EngineData {
  return {
    phase: 'ready',
    model,
    progress: undefined,
    helper: 'ready',
    message: undefined,
    refresh: () => {},
    rescanNow: engine.rescanNow ?? (() => Promise.resolve(model)),
    runPlan: engine.runPlan ?? (() => Promise.reject(new Error('no engine in this test'))),
    filesTarget: engine.filesTarget ?? (() => Promise.reject(new Error('no engine in this test'))),
    listNames: engine.listNames ?? (() => Promise.resolve([])),
    listFiles: engine.listFiles ?? (() => Promise.reject(new Error('no engine in this test'))),
    readFile: engine.readFile ?? (() => Promise.reject(new Error('no engine in this test'))),
  };
}

/** A build-cache record as the API lists it (BuildKit's "regular", used once), with what `extra` sets. */
export const cacheRecord = (id: string, extra: Partial<BuildCacheRecord> = {}): BuildCacheRecord => ({
  id,
  parents: [],
  type: 'regular',
  description: `step ${id}`,
  inUse: false,
  shared: false,
  size: 100,
  created: 0,
  lastUsed: 0,
  usageCount: 1,
  ...extra,
});
