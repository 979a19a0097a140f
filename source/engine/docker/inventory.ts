import { mark } from '../../process/timing.js';
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

/** GET /system/df?type=... (API 1.42, Docker 23): older engines answer everything, at full cost. */
function typedDf(client: EngineClient): boolean {
  const [major = 0, minor = 0] = client.apiVersion.split('.').map(Number);
  return major > 1 || minor >= 42;
}

function get<T>(client: EngineClient, path: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.docker.modem.dial(
      { path, method: 'GET', statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' } },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
    );
  });
}

/** /system/df's containers, volumes and build cache, with the images (and their Size) from /images/json. */
async function dfWithoutSharedSizes(client: EngineClient): Promise<ApiSystemDf> {
  const [images, rest] = await Promise.all([
    get<ApiDfImage[]>(client, '/images/json').finally(() => mark('api-images')),
    // docker-modem drops a query's last character when it adds no options of its own: hence '&'.
    get<ApiSystemDf>(client, '/system/df?type=container&type=volume&type=build-cache&').finally(() =>
      mark('api-df'),
    ),
  ]);
  // SharedSize is -1 (not computed) here: the caller computes it.
  return { ...rest, Images: images.map((i) => ({ ...i, SharedSize: -1 })) };
}

/**
 * The containerd store answers 500 "failed to read config content: ... not found" for an image
 * that another client removes while this one lists or inspects it (seen with two prunes at once
 * on Docker 26.1): a race, not a fault. The same question asked again gets a consistent answer.
 */
const removedMeanwhile = (err: unknown) =>
  (err as { statusCode?: number }).statusCode === 500 && /not ?found/i.test(String((err as Error).message));

/** Asks again (up to 5 times over about a second) while the answer is such a race. */
async function untilSettled<T>(ask: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await ask();
    } catch (err) {
      if (!removedMeanwhile(err) || i >= 4) throw err;
      await new Promise((r) => setTimeout(r, 50 * (i + 1)));
    }
  }
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
  /**
   * false: the caller computes shared sizes itself (from its layer graph, by Docker's own rule),
   * so the images come from GET /images/json and the rest from /system/df without its image part.
   * Docker computes every image's SharedSize for /system/df: 1.8 of its 2 s at 1,300 images.
   */
  sharedSizes = true,
): Promise<Inventory> {
  const { docker } = client;
  try {
    const [inf, df, networks] = await Promise.all([
      info ?? getInfo(client),
      untilSettled(() =>
        sharedSizes || !typedDf(client)
          ? (docker.df() as Promise<ApiSystemDf>)
          : dfWithoutSharedSizes(client),
      ),
      docker.listNetworks() as Promise<ApiNetwork[]>,
    ]);
    mark('api-lists');
    const images = (df.Images ?? []).map((img) => ({ ...img, Containers: img.Containers }));
    const inspected = await mapLimit(images, 8, async (img): Promise<ApiImageInspect | undefined> => {
      const layers = knownLayers?.(img.Id);
      if (layers) return { Id: img.Id, RootFS: { Type: 'layers', Layers: layers } };
      try {
        return (await untilSettled(() => docker.getImage(img.Id).inspect())) as ApiImageInspect;
      } catch (err) {
        // Removed between the listing and now: leave it out rather than fail the scan (the
        // containerd store may still say 500 "not found" after the retries: the same).
        if ((err as { statusCode?: number }).statusCode === 404 || removedMeanwhile(err)) return undefined;
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
