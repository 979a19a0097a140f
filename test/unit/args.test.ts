import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../source/cli/args.js';

describe('parseCli: the engine options', () => {
  it('takes --host or --context, each alone', () => {
    expect(parseCli(['scan', '-H', 'ssh://me@box']).host).toBe('ssh://me@box');
    expect(parseCli(['scan', '--context', 'prod']).context).toBe('prod');
    expect(parseCli(['-c', 'prod']).context).toBe('prod');
  });

  it('refuses --host with --context as the docker CLI does (a usage error: exit 2)', () => {
    for (const argv of [
      ['scan', '-H', 'unix:///x.sock', '-c', 'prod'],
      ['--context=prod', '--host=tcp://h:2375'],
      ['files', 'img', '-c', 'prod', '-H', 'ssh://box'],
    ]) {
      expect(() => parseCli(argv)).toThrow(UsageError);
      expect(() => parseCli(argv)).toThrow(
        /^conflicting options: either specify --host or --context, not both$/,
      );
    }
  });
});
