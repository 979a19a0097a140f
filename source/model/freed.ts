import { freedBytes } from './removal.js';
import type { ScanModel } from './report.js';

export interface RemovalSet {
  images: readonly string[];
  containers: readonly string[];
}

/**
 * Disk bytes that come back if the given images and containers are removed (see removal.ts):
 * shared layers still used elsewhere count for nothing.
 */
export function freedIfRemoved(model: ScanModel, removal: RemovalSet): number {
  return freedBytes(model, {
    images: new Set(removal.images),
    containers: new Set(removal.containers),
    volumes: new Set(),
    buildCache: false,
  }).total;
}
