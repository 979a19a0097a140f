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
  /** Where the image list came from (the caller's proven list, or the engine: see ImageListSource). */
  imagesFrom: ImageListSource;
  /**
   * When the engine was asked for that list (performance.now()), where it was: a list asked
   * before a stamp can still be remembered with it if the stamped state stood still since before
   * the asking (scan.ts, rememberImageList).
   */
  imagesAskedAt?: number | undefined;
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
 * Where an image list came from: `known`, the caller's proven list; `after-proof`, the engine,
 * asked only once the caller's proof had been read and failed (such an answer can be remembered
 * with that proof's stamp); `engine`, the engine, asked before or without any proof.
 */
export type ImageListSource = 'known' | 'after-proof' | 'engine';

/**
 * GET /images/json, or the caller's list when `known` resolves to one (a list the caller has
 * proven unchanged: see ImageListStamp). The engine is asked only once `known` has settled, or
 * after KNOWN_WAIT_MS; a list proven after that still wins, and the engine's request is then
 * abandoned (the containerd store's list took 17 s at 1,300 images on Docker 28.5). `stop`
 * abandons everything (the call beside it failed).
 */
function imageList(
  client: EngineClient,
  known: Promise<ApiDfImage[] | undefined> | undefined,
  stop: AbortSignal,
  waitMs: number,
): Promise<{ images: ApiDfImage[]; source: ImageListSource; askedAt?: number }> {
  const abort = new AbortController();
  let askedAt: number | undefined;
  const ask = () => {
    askedAt = performance.now();
    return get<ApiDfImage[]>(client, '/images/json', abort.signal).finally(() => mark('api-images'));
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    let asked = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const askEngine = (source: ImageListSource) => {
      if (asked || settled) return;
      asked = true;
      ask().then(
        (images) => settle(() => resolve({ images, source, ...(askedAt === undefined ? {} : { askedAt }) })),
        (err: unknown) => settle(() => reject(err)),
      );
    };
    stop.addEventListener(
      'abort',
      () => {
        settle(() => reject(stop.reason));
        abort.abort();
      },
      { once: true },
    );
    if (!known) return askEngine('engine');
    if (Number.isFinite(waitMs)) timer = setTimeout(() => askEngine('engine'), waitMs);
    known.then(
      (images) => {
        clearTimeout(timer);
        if (!images) return askEngine('after-proof');
        settle(() => {
          mark('api-images-known');
          resolve({ images, source: 'known' });
        });
        abort.abort();
      },
      () => {
        // no proof: the engine's answer decides, and is not remembered
        clearTimeout(timer);
        askEngine('engine');
      },
    );
  });
}

// docker-modem drops a query's last character when it adds no options of its own: hence '&'.
const askRest = (client: EngineClient, signal?: AbortSignal) =>
  get<ApiSystemDf>(client, '/system/df?type=container&type=volume&type=build-cache&', signal).finally(() =>
    mark('api-df'),
  );

/** The scan's engine lists, asked before the scan runs (askInventoryEarly). */
interface EarlyAnswers {
  at: number;
  maxAgeMs: number;
  images: Promise<ApiDfImage[]> | undefined;
  rest: Promise<ApiSystemDf>;
  networks: Promise<ApiNetwork[]>;
  /** Abandons the image list and the rest (not taken, or the scan failed). */
  abort: AbortController;
}
const early = new WeakMap<EngineClient, EarlyAnswers>();

/**
 * Answers older than this are not taken: a scan's lists are asked as it starts (0.3-0.5 s
 * before it takes them at scale; `prune` starts its helper, and so its scan, only after /info).
 */
const EARLY_MAX_AGE_MS = 2_000;

const fresh = (a: EarlyAnswers) => performance.now() - a.at <= a.maxAgeMs;

/**
 * Asks the lists a scan with the helper needs (readInventory without shared sizes) at once, so
 * that dockerd computes them while the caller does its own slower steps: the size cache's read
 * and parse (60-130 ms at scale) came before them, and the image list and /system/df then took
 * 0.3-0.4 s beside the helper's first walks (0.13 s each alone). The next readInventory of this
 * client takes them, once. `withImages` false: the image list waits for the caller's proof (the
 * containerd store), so only the rest is asked.
 */
export function askInventoryEarly(
  client: EngineClient,
  withImages: boolean,
  /** How long the answers stay good to take (EARLY_MAX_AGE_MS; longer where events cover the gap). */
  maxAgeMs = EARLY_MAX_AGE_MS,
): void {
  if (!typedDf(client)) return;
  const before = early.get(client);
  if (before && fresh(before)) return;
  before?.abort.abort();
  const abort = new AbortController();
  mark('api-lists-asked');
  const answers: EarlyAnswers = {
    at: performance.now(),
    maxAgeMs,
    images: withImages
      ? get<ApiDfImage[]>(client, '/images/json', abort.signal).finally(() => mark('api-images'))
      : undefined,
    rest: askRest(client, abort.signal),
    networks: client.docker.listNetworks() as Promise<ApiNetwork[]>,
    abort,
  };
  // Awaited by the scan that takes them; a failure surfaces there (or is asked again).
  for (const p of [answers.images, answers.rest, answers.networks]) p?.catch(() => {});
  early.set(client, answers);
}

function takeEarly(client: EngineClient): EarlyAnswers | undefined {
  const answers = early.get(client);
  early.delete(client);
  if (answers && fresh(answers)) return answers;
  answers?.abort.abort();
  return undefined;
}

/** /system/df's containers, volumes and build cache, with the images (and their Size) from /images/json. */
async function dfWithoutSharedSizes(
  client: EngineClient,
  knownImages: Promise<ApiDfImage[] | undefined> | undefined,
  proofWaitMs: number,
  asked?: EarlyAnswers,
): Promise<{ df: ApiSystemDf; imagesFrom: ImageListSource; imagesAskedAt?: number | undefined }> {
  const stop = new AbortController();
  // An early image list (askInventoryEarly with images; a scan's askScanListsEarly asks none, as
  // every store's list now waits for its proof) is used only where no proof is awaited; one asked
  // anyway beside a proof is not used, the proof's way decides.
  const earlyList = asked?.images && !knownImages ? asked.images : undefined;
  const list: Promise<{ images: ApiDfImage[]; source: ImageListSource; askedAt?: number | undefined }> =
    earlyList && asked
      ? earlyList.then((images) => ({ images, source: 'engine' as const, askedAt: asked.at }))
      : imageList(client, knownImages, stop.signal, proofWaitMs);
  const rest = asked?.rest ?? askRest(client);
  // A failure of the rest abandons the image list (no request left running for nobody).
  list.catch(() => undefined);
  rest.catch((err: unknown) => {
    stop.abort(err);
    asked?.abort.abort();
  });
  const [images, df] = await Promise.all([list, rest]);
  // SharedSize is -1 (not computed) here: the caller computes it.
  return {
    df: { ...df, Images: images.images.map((i) => ({ ...i, SharedSize: -1 })) },
    imagesFrom: images.source,
    imagesAskedAt: images.askedAt,
  };
}

/**
 * The containerd store answers 500 "failed to read config content: ... not found" for an image
 * that another client removes while this one lists or inspects it (seen with two prunes at once
 * on Docker 26.1): a race, not a fault. The same question asked again gets a consistent answer.
 */
const removedMeanwhile = (err: unknown) =>
  (err as { statusCode?: number }).statusCode === 500 && /not ?found/i.test(String((err as Error).message));

/**
 * Asks again (up to 10 times over about 2.3 s) while the answer is such a race. Five tries over
 * 0.75 s were too few on the containerd store: there another prune removing six images made the
 * image list fail ("content digest ... not found") for longer (a CI run, Docker 26.1).
 */
async function untilSettled<T>(ask: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await ask();
    } catch (err) {
      if (!removedMeanwhile(err) || i >= 9) throw err;
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
  /**
   * The layer lists of these images that are known without asking the engine (remembered: an
   * image ID names its config or manifest, it never changes; or read from the store's files),
   * asked once for the whole list; the others are inspected.
   */
  knownLayers?: (imageIds: string[]) => Map<string, string[]> | Promise<Map<string, string[]>>,
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
  /**
   * How long the engine waits for that proof: KNOWN_WAIT_MS, or longer when nothing is
   * remembered to prove, so that the answer is asked for after the stamp and can be remembered
   * (scanEngine); Infinity: no limit.
   */
  proofWaitMs = KNOWN_WAIT_MS,
): Promise<Inventory> {
  const { docker } = client;
  // Lists asked early for this scan (askInventoryEarly): taken by the first try only, a retry asks anew.
  let asked = takeEarly(client);
  if (asked) mark('api-lists-early');
  const networksRun = asked?.networks ?? (docker.listNetworks() as Promise<ApiNetwork[]>);
  try {
    const [inf, { df, imagesFrom, imagesAskedAt }, networks] = await Promise.all([
      info ?? getInfo(client),
      untilSettled(() => {
        const first = asked;
        asked = undefined;
        if (sharedSizes || !typedDf(client)) {
          first?.abort.abort(); // not the lists this way needs
          return (docker.df() as Promise<ApiSystemDf>).then((df) => ({ df, imagesFrom: 'engine' as const }));
        }
        return dfWithoutSharedSizes(client, knownImages, proofWaitMs, first);
      }),
      networksRun,
    ]);
    mark('api-lists');
    const images = (df.Images ?? []).map((img) => ({ ...img, Containers: img.Containers }));
    const known = await knownLayers?.(images.map((i) => i.Id));
    const inspected = await mapLimit(images, 8, async (img): Promise<ApiImageInspect | undefined> => {
      const layers = known?.get(img.Id);
      if (layers) return { Id: img.Id, RootFS: { Type: 'layers', Layers: layers } };
      try {
        const full = (await untilSettled(() => docker.getImage(img.Id).inspect())) as ApiImageInspect;
        // What a scan reads of it, and nothing else: at 1,300 images the whole answers (each
        // image's config, environment, history of settings) were tens of MB held to the end.
        return {
          Id: full.Id,
          ...(full.RootFS ? { RootFS: full.RootFS } : {}),
          ...(full.Metadata ? { Metadata: { LastTagTime: full.Metadata.LastTagTime ?? null } } : {}),
        };
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
      imagesFrom,
      imagesAskedAt,
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
