import { expect } from 'vitest';
import type { ScanReport } from '../../source/model/report.js';

export interface DfImages {
  Images: { Id: string; Size: number; SharedSize: number }[];
}

/** Every image's size, shared size and unique size as GET /system/df gives them, to the byte. */
export function expectImageSizesEqualDf(report: ScanReport, df: DfImages): void {
  expect(report.images.length).toBe(df.Images.length);
  for (const d of df.Images) {
    const img = report.images.find((i) => i.id === d.Id);
    expect({ id: d.Id, size: img?.size, shared: img?.sharedSize, unique: img?.uniqueSize }).toEqual({
      id: d.Id,
      size: d.Size,
      shared: d.SharedSize,
      unique: d.Size - d.SharedSize,
    });
  }
}
