import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('parseCli: --keep-helper', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes whole seconds from the option, else from LAYERTOP_KEEP_HELPER; 0 or nothing keeps none', () => {
    vi.stubEnv('LAYERTOP_KEEP_HELPER', '');
    expect(parseCli(['scan', '--keep-helper', '90']).keepHelper).toBe(90);
    expect(parseCli(['scan']).keepHelper).toBeUndefined();
    expect(parseCli(['scan', '--keep-helper', '0']).keepHelper).toBeUndefined();
    vi.stubEnv('LAYERTOP_KEEP_HELPER', '15');
    expect(parseCli(['scan']).keepHelper).toBe(15);
    // The option wins over the environment.
    expect(parseCli(['scan', '--keep-helper', '0']).keepHelper).toBeUndefined();
    expect(parseCli(['files', 'img', '--keep-helper=86400']).keepHelper).toBe(86_400);
  });

  it('refuses anything else (a usage error: exit 2)', () => {
    vi.stubEnv('LAYERTOP_KEEP_HELPER', '');
    for (const v of ['-1', '1.5', '1e3', '86401', '60s', ' 5', '999999']) {
      expect(() => parseCli(['scan', `--keep-helper=${v}`])).toThrow(UsageError);
      expect(() => parseCli(['scan', `--keep-helper=${v}`])).toThrow(
        /^--keep-helper \(LAYERTOP_KEEP_HELPER\) takes whole seconds, 0 to 86400$/,
      );
    }
    vi.stubEnv('LAYERTOP_KEEP_HELPER', 'soon');
    expect(() => parseCli(['scan'])).toThrow(UsageError);
    // Not where no helper starts: --help and --version still answer.
    expect(parseCli(['--help']).command).toBe('help');
    expect(parseCli(['--version']).command).toBe('version');
  });
});
