import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lastScanEngineId,
  lastScanFile,
  lastScanSaves,
  loadLastScan,
  saveLastScan,
} from '../../source/engine/last-scan.js';
import { buildScanModel } from '../../source/model/report.js';
import { scanInputsFromJson, scanInputsToJson } from '../../source/model/scan-inputs-json.js';
import { eventsSince } from '../../source/tui/explorer/use-engine-data.js';
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

describe('the last scan file', () => {
  it('comes back from the file as it was saved, written whole as the exact JSON text', async () => {
    const env = { LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-last-scan-')) };
    const model = sampleModel();
    const before = Date.now();
    // Two saves at once, the second of other inputs: one after the other, the last one wins.
    const other = sampleModel().inputs;
    other.images = other.images.slice(0, 1);
    await Promise.all([
      saveLastScan('unix:///a.sock', 'id|/root', model.inputs, env),
      saveLastScan('unix:///a.sock', 'id|/root', other, env),
    ]);
    const back = loadLastScan('unix:///a.sock', env);
    expect(back?.engineId).toBe('id|/root');
    expect(back?.savedAt).toBeGreaterThanOrEqual(before);
    expect(back?.inputs.images.map((i) => i.id)).toEqual(other.images.map((i) => i.id));
    await saveLastScan('unix:///a.sock', 'id|/root', model.inputs, env);
    const again = loadLastScan('unix:///a.sock', env);
    expect(again && buildScanModel(again.inputs).report).toEqual(buildScanModel(model.inputs).report);
    const file = lastScanFile('unix:///a.sock', env);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(
      `${JSON.stringify({ savedAt: again?.savedAt, engineId: 'id|/root', inputs: scanInputsToJson(model.inputs) })}\n`,
    );
    // No temporary file left beside it.
    expect(readdirSync(env.LAYERTOP_CACHE_DIR)).toEqual([file.slice(file.lastIndexOf('/') + 1)]);
  });

  it('is on disk once lastScanSaves resolves (what the explorer awaits as it quits)', async () => {
    const env = { LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-last-scan-')) };
    // Asked for in a setImmediate, as the explorer does, in the same turn as the quit.
    setImmediate(() => void saveLastScan('unix:///b.sock', 'id|/root', sampleModel().inputs, env));
    expect(loadLastScan('unix:///b.sock', env)).toBeUndefined();
    await lastScanSaves(3_000);
    expect(loadLastScan('unix:///b.sock', env)?.engineId).toBe('id|/root');
    // Nothing under way: it resolves at once.
    const t = performance.now();
    await lastScanSaves(3_000);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it('is not written where it cannot be, and that is no error', async () => {
    const base = mkdtempSync(join(tmpdir(), 'lt-last-scan-'));
    writeFileSync(join(base, 'file'), '');
    const env = { LAYERTOP_CACHE_DIR: join(base, 'file') };
    await expect(
      saveLastScan('unix:///a.sock', 'id|/root', sampleModel().inputs, env),
    ).resolves.toBeUndefined();
    expect(loadLastScan('unix:///a.sock', env)).toBeUndefined();
    expect(readdirSync(base)).toEqual(['file']);
  });
});

describe('the engine of the last scan, read from the head of its file (the next launch asks its lists early)', () => {
  it('is the ID saved with it, whatever characters the data root holds', async () => {
    const env = { LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-last-scan-')) };
    const id = 'ABCD:EFGH|/var/lib/docker "quoted" \\ back é';
    await saveLastScan('unix:///c.sock', id, sampleModel().inputs, env);
    expect(lastScanEngineId('unix:///c.sock', env)).toBe(id);
    expect(loadLastScan('unix:///c.sock', env)?.engineId).toBe(id);
  });

  it('is none without a file, or with one of another shape', () => {
    const env = { LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-last-scan-')) };
    expect(lastScanEngineId('unix:///d.sock', env)).toBeUndefined();
    writeFileSync(lastScanFile('unix:///d.sock', env), '{"engineId":"x","savedAt":1}');
    expect(lastScanEngineId('unix:///d.sock', env)).toBeUndefined();
    writeFileSync(lastScanFile('unix:///d.sock', env), '{"savedAt":1,"engineId":7}');
    expect(lastScanEngineId('unix:///d.sock', env)).toBeUndefined();
  });
});

describe('the first event subscription', () => {
  it("asks for events since the engine's clock at /info, to the millisecond", () => {
    expect(eventsSince({ SystemTime: '2026-12-05T03:45:00.123456789Z' })).toBe(1796442300.123);
    expect(eventsSince({ SystemTime: '2026-12-05T04:45:00.5+01:00' })).toBe(1796442300.5);
    expect(eventsSince({})).toBeUndefined();
    expect(eventsSince({ SystemTime: 'not a time' })).toBeUndefined();
  });
});
