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
  /** The images came from the caller's proven list (knownImages), not from the engine. */
  imagesKnown: boolean;
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

function get<T>(client: EngineClient, path: string, abortSignal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.docker.modem.dial(
      {
        path,
        method: 'GET',
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
        ...(abortSignal ? { abortSignal } : {}),
      },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
    );
  });
}

/**
 * How long a scan waits for the proof that its remembered image list still holds before it asks
 * the engine anyway: the proof (the containerd store's metadata, read through the helper) came
 * 0.9-1.3 s after the start at 1,300 images; asked meanwhile, the engine's list made that read
 * and /system/df slower (the proof at 3.3 s).
 */
const KNOWN_WAIT_MS = 3_000;

/**
 * GET /images/json, or the caller's list when `known` resolves to one (a list the caller has
 * proven unchanged: see ImageListStamp). The engine is asked only once `known` says no, or after
 * KNOWN_WAIT_MS; a list proven after that still wins, and the engine's request is then abandoned
 * (the containerd store's list took 17 s at 1,300 images on Docker 28.5).
 */
function imageList(
  client: EngineClient,
  known: Promise<ApiDfImage[] | undefined> | undefined,
): Promise<{ images: ApiDfImage[]; known: boolean }> {
  const ask = (signal?: AbortSignal) =>
    get<ApiDfImage[]>(client, '/images/json', signal).finally(() => mark('api-images'));
  if (!known) return ask().then((images) => ({ images, known: false }));
  return new Promise((resolve, reject) => {
    const abort = new AbortController();
    let settled = false;
    let asked = false;
    const askEngine = () => {
      if (asked || settled) return;
      asked = true;
      ask(abort.signal).then(
        (images) => {
          if (settled) return;
          settled = true;
          resolve({ images, known: false });
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          reject(err);
        },
      );
    };
    const timer = setTimeout(askEngine, KNOWN_WAIT_MS);
    known.then(
      (images) => {
        clearTimeout(timer);
        if (!images) return askEngine();
        if (settled) return;
        settled = true;
        mark('api-images-known');
        resolve({ images, known: true });
        abort.abort();
      },
      () => {
        // no proof: the engine's answer decides
        clearTimeout(timer);
        askEngine();
      },
    );
  });
}

/** /system/df's containers, volumes and build cache, with the images (and their Size) from /images/json. */
async function dfWithoutSharedSizes(
  client: EngineClient,
  knownImages: Promise<ApiDfImage[] | undefined> | undefined,
): Promise<{ df: ApiSystemDf; imagesKnown: boolean }> {
  const [list, rest] = await Promise.all([
    imageList(client, knownImages),
    // docker-modem drops a query's last character when it adds no options of its own: hence '&'.
    get<ApiSystemDf>(client, '/system/df?type=container&type=volume&type=build-cache&').finally(() =>
      mark('api-df'),
    ),
  ]);
  // SharedSize is -1 (not computed) here: the caller computes it.
  return {
    df: { ...rest, Images: list.images.map((i) => ({ ...i, SharedSize: -1 })) },
    imagesKnown: list.known,
  };
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
  /**
   * The image list as the caller knows it, when it can prove it unchanged (resolves undefined
   * otherwise): used if it comes before the engine's answer (only without sharedSizes).
   */
  knownImages?: Promise<ApiDfImage[] | undefined>,
): Promise<Inventory> {
  const { docker } = client;
  try {
    const [inf, { df, imagesKnown }, networks] = await Promise.all([
      info ?? getInfo(client),
      untilSettled(() =>
        sharedSizes || !typedDf(client)
          ? (docker.df() as Promise<ApiSystemDf>).then((df) => ({ df, imagesKnown: false }))
          : dfWithoutSharedSizes(client, knownImages),
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
      imagesKnown,
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
