// A scan's inputs as plain JSON and back (Maps and Sets as arrays), so the explorer can show the
// last scan at once on its next launch (engine/last-scan.ts). Pure: no I/O here.
import type { ScanInputs } from './report.js';
import type { LayerFacts } from './types.js';

export const SCAN_INPUTS_FORMAT = 'layertop-scan-inputs/1';

interface ScanInputsJson extends Omit<ScanInputs, 'layerFacts' | 'buildCacheLayers' | 'ledger'> {
  format: typeof SCAN_INPUTS_FORMAT;
  layerFacts: LayerFacts[];
  buildCacheLayers?: string[] | undefined;
}

export function scanInputsToJson(inputs: ScanInputs): ScanInputsJson {
  // The ledger's pieces are left out: the explorer's first frame does not need them (thousands at scale).
  const { layerFacts, buildCacheLayers, ledger: _ledger, ...rest } = inputs;
  return {
    format: SCAN_INPUTS_FORMAT,
    ...rest,
    layerFacts: [...layerFacts.values()],
    ...(buildCacheLayers ? { buildCacheLayers: [...buildCacheLayers] } : {}),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isArrayOf = (v: unknown, item: (x: unknown) => boolean) => Array.isArray(v) && v.every(item);
const hasString = (o: unknown, k: string) => isObject(o) && typeof o[k] === 'string';

/**
 * The inputs back, or undefined when `v` is not a scan of this format (a file from another
 * version, a truncated write): then there is nothing to show, never a half-read scan.
 */
export function scanInputsFromJson(v: unknown): ScanInputs | undefined {
  if (!isObject(v) || v.format !== SCAN_INPUTS_FORMAT) return undefined;
  const ok =
    isObject(v.engine) &&
    isArrayOf(v.images, (i) => hasString(i, 'id') && isObject(i) && Array.isArray(i.diffIds)) &&
    isArrayOf(v.layerFacts, (l) => hasString(l, 'chainId') && isObject(l) && typeof l.size === 'number') &&
    isArrayOf(v.containers, (c) => hasString(c, 'id')) &&
    isArrayOf(v.volumes, (x) => hasString(x, 'name')) &&
    isArrayOf(v.networks, (x) => hasString(x, 'id')) &&
    isObject(v.buildCache) &&
    (v.buildCacheLayers === undefined || isArrayOf(v.buildCacheLayers, (x) => typeof x === 'string'));
  if (!ok) return undefined;
  const { format: _format, layerFacts, buildCacheLayers, ...rest } = v as unknown as ScanInputsJson;
  return {
    ...rest,
    layerFacts: new Map(layerFacts.map((l) => [l.chainId, l])),
    ...(buildCacheLayers ? { buildCacheLayers: new Set(buildCacheLayers) } : {}),
  };
}
