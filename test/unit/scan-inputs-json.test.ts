import { describe, expect, it } from 'vitest';
import { buildScanModel } from '../../source/model/report.js';
import { scanInputsFromJson, scanInputsToJson } from '../../source/model/scan-inputs-json.js';
import { sampleModel } from '../support/model.js';

const throughFile = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('a scan kept as JSON for the next launch', () => {
  it('comes back with every figure the explorer shows (layers, images, containers, cache)', () => {
    const model = sampleModel();
    model.inputs.buildCacheLayers = new Set([[...model.inputs.layerFacts.keys()][0] as string]);
    const back = scanInputsFromJson(throughFile(scanInputsToJson(model.inputs)));
    expect(back).toBeDefined();
    const again = buildScanModel(back as NonNullable<typeof back>);
    expect(again.report).toEqual(buildScanModel(model.inputs).report);
    expect(again.inputs.layerFacts).toEqual(model.inputs.layerFacts);
    expect(again.inputs.buildCacheLayers).toEqual(model.inputs.buildCacheLayers);
  });

  it('is not read from another format, a truncated file or a wrong shape', () => {
    const good = throughFile(scanInputsToJson(sampleModel().inputs)) as Record<string, unknown>;
    expect(scanInputsFromJson({ ...good, format: 'layertop-scan-inputs/0' })).toBeUndefined();
    expect(scanInputsFromJson({ ...good, images: undefined })).toBeUndefined();
    expect(scanInputsFromJson({ ...good, layerFacts: [{ chainId: 'x' }] })).toBeUndefined();
    expect(scanInputsFromJson(null)).toBeUndefined();
    expect(scanInputsFromJson('{"format":')).toBeUndefined();
  });
});
