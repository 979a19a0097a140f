import type {
  ApiDfContainer,
  ApiDfImage,
  ApiDfVolume,
  ApiImageInspect,
  ApiInfo,
  ApiNetwork,
  ApiSystemDf,
} from './api-types.js';
import type { EngineClient } from './docker-client.js';
import { describeEngineError, EngineError } from './engine-error.js';

export interface Inventory {
  info: ApiInfo;
  df: ApiSystemDf;
  images: ApiDfImage[];
  inspects: Map<string, ApiImageInspect>;
  containers: ApiDfContainer[];
  volumes: ApiDfVolume[];
  networks: ApiNetwork[];
  /** layertop's own helper containers: not listed, but their layers and images are in use. */
  helpers: { id: string; imageId: string }[];
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function getInfo(client: EngineClient): Promise<ApiInfo> {
  try {
    return (await client.docker.info()) as ApiInfo;
  } catch (err) {
    throw new EngineError(describeEngineError(err, client.endpoint.host));
  }
}

/**
 * Everything the engine's API says about images, containers, volumes, networks and build cache.
 * /system/df is the list Docker itself sizes, so layertop sizes the same set.
 */
export async function readInventory(
  client: EngineClient,
  info?: ApiInfo,
  /** An image's layer list when already known (an image ID names its config: it never changes). */
  knownLayers?: (imageId: string) => string[] | undefined,
): Promise<Inventory> {
  const { docker } = client;
  try {
    const [inf, df, networks] = await Promise.all([
      info ?? getInfo(client),
      docker.df() as Promise<ApiSystemDf>,
      docker.listNetworks() as Promise<ApiNetwork[]>,
    ]);
    const images = (df.Images ?? []).map((img) => ({ ...img, Containers: img.Containers }));
    const inspected = await mapLimit(images, 8, async (img): Promise<ApiImageInspect | undefined> => {
      const layers = knownLayers?.(img.Id);
      if (layers) return { Id: img.Id, RootFS: { Type: 'layers', Layers: layers } };
      try {
        return (await docker.getImage(img.Id).inspect()) as ApiImageInspect;
      } catch (err) {
        // Removed between the listing and now: leave it out rather than fail the scan.
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    });
    const inspects = new Map<string, ApiImageInspect>();
    for (const i of inspected) if (i) inspects.set(i.Id, i);
    return {
      info: inf,
      df,
      images: images.filter((i) => inspects.has(i.Id)),
      inspects,
      // layertop's own helper is not part of the user's engine state.
      containers: (df.Containers ?? []).filter((c) => !c.Labels?.['io.layertop.helper']),
      helpers: (df.Containers ?? [])
        .filter((c) => c.Labels?.['io.layertop.helper'])
        .map((c) => ({ id: c.Id, imageId: c.ImageID })),
      volumes: df.Volumes ?? [],
      networks,
    };
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError(describeEngineError(err, client.endpoint.host));
  }
}
