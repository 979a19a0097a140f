// Removals done, then a figure after them failed: the report still lists what went, and says
// which figure is missing and why (never "no helper", never 0).
import { describe, expect, it } from 'vitest';
import { leftoverReportText } from '../../source/cli/leftovers-command.js';
import { reportText } from '../../source/cli/prune-text.js';
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
    expect(text).toContain('Removed 1 item(s).');
    expect(text).toContain('Reported by Docker:    unknown (see below)');
    expect(text).toContain('Measured on disk:      unknown (see below)');
    expect(text).not.toContain('no helper');
    expect(text).toContain(
      'Removed as listed above, but the disk could not be measured after the removal: du: permission denied',
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
