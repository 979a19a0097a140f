// Removals done, then a figure after them failed: the report still lists what went, and says
// which figure is missing and why (never "no helper", never 0).
import { describe, expect, it } from 'vitest';
import { leftoverReportText } from '../../source/cli/leftovers-command.js';
import { applyText, reportText } from '../../source/cli/prune-text.js';
import type { LeftoverReport } from '../../source/engine/leftovers.js';
import type { RunReport } from '../../source/engine/prune-run.js';

describe('a report whose figures after the removal failed', () => {
  it('prune: lists what was removed, the missing figures as unknown, and the reason', () => {
    const r: RunReport = {
      predictedFreedBytes: 5_000_000,
      dockerEstimateBytes: 4_000_000,
      dockerReportedBytes: null,
      measuredFreedBytes: null,
      dataRootBytesBefore: 90_000_000,
      dataRootBytesAfter: null,
      removed: [{ kind: 'image', id: 'sha256:aa', name: 'shop/app:1' }],
      alreadyRemoved: [],
      skipped: [],
      failed: [],
      afterError: 'the disk could not be measured after the removal: du: permission denied',
    };
    const text = reportText(r);
    // What was removed, each one: the report is all a run with --yes prints.
    expect(text).toMatch(/^Removed 1 item:\n {2}image shop\/app:1\n/);
    expect(text).toContain('Reported by Docker:    unknown (see below)');
    expect(text).toContain('Measured on disk:      unknown (see below)');
    expect(text).not.toContain('no helper');
    expect(text).toContain(
      'Removed as listed above, but the disk could not be measured after the removal: du: permission denied',
    );
  });

  it("says a builder prune's Docker figures in the build cache's terms, with no word of images", () => {
    const r: RunReport = {
      predictedFreedBytes: 12_288,
      dockerEstimateBytes: 127,
      dockerReportedBytes: 4_370_217,
      measuredFreedBytes: 12_288,
      dataRootBytesBefore: 90_000_000,
      dataRootBytesAfter: 89_987_712,
      removed: [{ kind: 'build-cache', id: 'build-cache', name: 'build cache (all 17 records)' }],
      alreadyRemoved: [],
      skipped: [],
      failed: [],
    };
    const text = reportText(r);
    expect(text).toMatch(/^Removed 1 item:\n {2}build-cache build cache \(all 17 records\)\n/);
    expect(text).toContain(
      "(Docker's estimate before was 127B: the build cache's size as `docker system df` counts it, where a record shared with images counts 0; its report is what BuildKit says it reclaimed, each removed record's own size, shared ones included)",
    );
    expect(text).not.toMatch(/removed images|deleted layer|image's size/);
  });

  it('says when items of the preview went by another run meanwhile: the measured shrink holds theirs too', () => {
    const r: RunReport = {
      predictedFreedBytes: 423_000_000,
      dockerEstimateBytes: 400_000_000,
      dockerReportedBytes: 1_000_000,
      measuredFreedBytes: 422_000_000,
      dataRootBytesBefore: 900_000_000,
      dataRootBytesAfter: 478_000_000,
      removed: [{ kind: 'image', id: 'sha256:aa', name: 'shop/app:1' }],
      alreadyRemoved: [
        { kind: 'image', id: 'sha256:bb', name: 'shop/app:2' },
        { kind: 'image', id: 'sha256:cc', name: 'shop/app:3' },
      ],
      skipped: [],
      failed: [],
    };
    const text = reportText(r);
    expect(text).toContain('Already removed before this run got to them (another run or someone else) (2):');
    expect(text).toContain(
      '(2 items of the preview were gone before this run got to them: if another run removed them after the disk was first measured, what that freed is in the measured figure too)',
    );
    expect(reportText({ ...r, alreadyRemoved: [] })).not.toContain('were gone before');
    // Nothing measured as freed: nothing of another run's in it either.
    expect(reportText({ ...r, removed: [], measuredFreedBytes: 0 })).not.toContain('were gone before');
    expect(reportText({ ...r, removed: [], measuredFreedBytes: 0 })).toMatch(/^Removed 0 items\.\n/);
  });

  it("after an applied plan's run, names what was left alone once (the report's list), not twice", () => {
    const gone = { kind: 'container' as const, id: 'c1', name: 'lt-stopped', reason: 'gone' };
    const a = { plan: { source: 'prune' } as never, skipped: [], alreadyRemoved: [gone], notInFile: 2 };
    expect(applyText(a, false, true)).toContain('Already removed (1):');
    expect(applyText(a, false, false)).toBe(
      'Not in the plan file, left alone: 2 item(s) the same rules would remove now',
    );
  });

  it('leftovers: the same', () => {
    const r: LeftoverReport = {
      predictedFreedBytes: 4096,
      measuredFreedBytes: null,
      dataRootBytesBefore: 90_000_000,
      dataRootBytesAfter: null,
      removed: [{ path: '/var/lib/docker/overlay2/abc', kind: 'layer-dir', diskBytes: 4096 }],
      alreadyRemoved: [],
      refused: [],
      failed: [],
      afterError: 'the disk could not be measured after deleting: timed out',
    };
    const text = leftoverReportText(r);
    expect(text).toContain('/var/lib/docker/overlay2/abc');
    expect(text).toContain('Measured on disk:      unknown');
    expect(text).toContain('But the disk could not be measured after deleting: timed out');
  });
});
