// An image config read as moby's image list reads it on the containerd store: first whole, into
// dockerspec.DockerOCIImage (a config Go cannot decode there gives the image no config facts on
// Docker 28.5 and fails the whole list on 26.1), then its `created` and `config.Labels`
// (configLabels). Go's encoding/json matches keys ignoring case and ignores unknown ones; a value
// of the wrong type for a known field is an error, null is always accepted. Pure.

/** What the engine's image list takes from an image's config. */
export interface StoreImageFacts {
  /** The config's `created` in seconds (Go's Time.Unix: whole seconds, rounded down), 0 without one. */
  created: number;
  /** The config's `config.Labels`, null without them. */
  labels: Record<string, string> | null;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Go's time.Time.Unix() of a time its UnmarshalJSON accepts (strict RFC 3339: upper-case T and Z,
 * every field in range); undefined where Go would fail.
 */
export function goUnixSeconds(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const days = [
    31,
    y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > (days[mo - 1] as number) || h > 23 || mi > 59 || s > 59)
    return undefined;
  let offset = 0;
  if (m[7]) {
    const oh = Number(m[8]);
    const om = Number(m[9]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[7] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const t = new Date(0);
  // setUTCFullYear, not Date.UTC: years below 100 are years, not 1900 plus them.
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime() / 1000 - offset;
}

/** What Go decodes a known field into. Objects list their own known fields by Go's key. */
type GoType =
  | 'string'
  | 'bool'
  | 'int'
  | 'time'
  | 'strings'
  | 'labels'
  | 'set'
  | { struct: Record<string, GoType> }
  | { list: GoType };

const HEALTHCHECK: GoType = {
  struct: {
    Test: 'strings',
    Interval: 'int',
    Timeout: 'int',
    StartPeriod: 'int',
    StartInterval: 'int',
    Retries: 'int',
  },
};
/** dockerspec.DockerOCIImage as Docker 26.1 and 28.5 vendor it (image-spec v1.1 and the Docker extension). */
const DOCKER_OCI_IMAGE: GoType = {
  struct: {
    created: 'time',
    author: 'string',
    architecture: 'string',
    os: 'string',
    'os.version': 'string',
    'os.features': 'strings',
    variant: 'string',
    config: {
      struct: {
        User: 'string',
        ExposedPorts: 'set',
        Env: 'strings',
        Entrypoint: 'strings',
        Cmd: 'strings',
        Volumes: 'set',
        WorkingDir: 'string',
        Labels: 'labels',
        StopSignal: 'string',
        ArgsEscaped: 'bool',
        Healthcheck: HEALTHCHECK,
        OnBuild: 'strings',
        Shell: 'strings',
      },
    },
    rootfs: { struct: { type: 'string', diff_ids: 'strings' } },
    history: {
      list: {
        struct: {
          created: 'time',
          created_by: 'string',
          author: 'string',
          comment: 'string',
          empty_layer: 'bool',
        },
      },
    },
  },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key of `obj` Go takes for the field `name`, undefined if none. Where Go's choice is not
 * certain here (two keys that fold alike, a key spelled otherwise than the field, or a key with a
 * character Go folds to ASCII, the long s and the Kelvin sign), `null`: not decided here.
 */
function goKey(obj: Record<string, unknown>, name: string): string | null | undefined {
  const lower = name.toLowerCase();
  const keys = Object.keys(obj).filter((k) => k.toLowerCase() === lower || /[\u017f\u212a]/.test(k));
  if (!keys.length) return undefined;
  return keys.length === 1 && keys[0] === name ? name : null;
}

/** Whether Go decodes `v` into `type` without an error (null decodes into anything). */
function decodes(v: unknown, type: GoType, raw: string): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'time':
      // Go parses the raw bytes: an escape in them (\u0030 for 0) fails there, not in JSON.parse.
      return typeof v === 'string' && goUnixSeconds(v) !== undefined && raw.includes(JSON.stringify(v));
    case 'strings':
      return Array.isArray(v) && v.every((x) => x === null || typeof x === 'string');
    case 'labels':
      return isObject(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
    case 'set':
      return isObject(v) && Object.values(v).every((x) => x === null || isObject(x));
  }
  if ('list' in type) return Array.isArray(v) && v.every((x) => decodes(x, type.list, raw));
  if (!isObject(v)) return false;
  for (const [field, inner] of Object.entries(type.struct)) {
    const key = goKey(v, field);
    if (key === null) return false;
    if (key !== undefined && !decodes(v[key], inner, raw)) return false;
  }
  return true;
}

/**
 * The list's facts of an image config (created, labels), read as moby reads them; undefined for
 * anything Go might read otherwise or fail on (the engine's list then decides).
 */
export function configListFacts(raw: Buffer): StoreImageFacts | undefined {
  const text = raw.toString('utf8');
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(cfg) || !decodes(cfg, DOCKER_OCI_IMAGE, text)) return undefined;
  const created = cfg.created;
  const inner = cfg.config;
  const labels = isObject(inner) && isObject(inner.Labels) ? inner.Labels : null;
  // A label set to null decodes as "": the engine answers "".
  const asGo = labels ? Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v ?? ''])) : null;
  return {
    created: typeof created === 'string' ? (goUnixSeconds(created) as number) : 0,
    labels: asGo as Record<string, string> | null,
  };
}
