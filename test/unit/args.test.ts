import { afterEach, describe, expect, it, vi } from 'vitest';
import { HELP, helpFor, parseCli, UsageError } from '../../source/cli/args.js';

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

describe('parseCli: an unknown option', () => {
  it('is named plainly, with where the options are listed (a usage error: exit 2)', () => {
    expect(() => parseCli(['scan', '--bogus'])).toThrow(UsageError);
    expect(() => parseCli(['scan', '--bogus'])).toThrow(
      /^unknown option --bogus \(layertop --help lists them\)$/,
    );
    expect(() => parseCli(['-Z'])).toThrow(/^unknown option -Z \(layertop --help lists them\)$/);
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

describe('parseCli: --helper-mode', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is auto unless the option or LAYERTOP_HELPER_MODE says local or container (the option wins)', () => {
    vi.stubEnv('LAYERTOP_HELPER_MODE', '');
    expect(parseCli(['scan']).helperMode).toBe('auto');
    expect(parseCli(['scan', '--helper-mode', 'local']).helperMode).toBe('local');
    vi.stubEnv('LAYERTOP_HELPER_MODE', 'container');
    expect(parseCli(['files', 'img']).helperMode).toBe('container');
    expect(parseCli(['scan', '--helper-mode=auto']).helperMode).toBe('auto');
  });

  it('refuses a mode it does not know, and local with what asks for a container; --help minds no bad environment', () => {
    vi.stubEnv('LAYERTOP_HELPER_MODE', 'nearby');
    expect(() => parseCli(['scan'])).toThrow(
      '--helper-mode (LAYERTOP_HELPER_MODE) is auto, local or container',
    );
    expect(parseCli(['--help']).command).toBe('help');
    vi.stubEnv('LAYERTOP_HELPER_MODE', '');
    expect(() => parseCli(['scan', '--helper-mode', 'local', '--keep-helper', '30'])).toThrow(
      '--keep-helper keeps a helper container: it does not go with --helper-mode local',
    );
    expect(() => parseCli(['scan', '--helper-mode', 'local', '--helper-image', 'alpine'])).toThrow(
      '--helper-image names a container image: it does not go with --helper-mode local',
    );
    expect(() => parseCli(['scan', '--helper-image', ''])).toThrow(
      '--helper-image needs an image name (the default is busybox)',
    );
    expect(() => parseCli(['scan', '--helper-image=  '])).toThrow('--helper-image needs an image name');
    // Spaces around a name (a quoted " busybox ") are not part of it.
    expect(parseCli(['scan', '--helper-image', ' busybox:1.36 ']).helperImage).toBe('busybox:1.36');
    // Without local, each goes with the default (auto then uses the container).
    expect(parseCli(['scan', '--keep-helper', '30']).helperMode).toBe('auto');
  });
});

describe('help for one command (layertop CMD --help)', () => {
  it("gives that command's usage and the options that apply to it, not the others'", () => {
    const a = parseCli(['files', '--help']);
    expect(a.command).toBe('help');
    const h = helpFor(a.helpTopic);
    expect(h).toContain('  layertop files IMAGE|CONTAINER');
    expect(h).not.toContain('layertop prune');
    expect(h).toContain('--merged');
    expect(h).toContain('--host URL');
    expect(h).not.toContain('--keep-last');
    expect(h).toContain('(layertop --help lists every command and option.)');
    const b = helpFor(parseCli(['builder', '--help']).helpTopic);
    expect(b).toContain('layertop builder prune');
    for (const o of ['--dry-run', '--yes', '--filter F', '--max-used-space', '--all', '--json'])
      expect(b).toContain(o);
    // cat takes no --json: its help does not offer it.
    expect(helpFor(parseCli(['cat', '--help']).helpTopic)).not.toContain('--json');
    expect(b).not.toContain('--keep-last');
    // Without a command, everything.
    expect(helpFor(parseCli(['--help']).helpTopic)).toBe(HELP);
  });

  it('refuses --json beside another --format instead of taking one silently', () => {
    expect(() => parseCli(['scan', '--json', '--format', 'table'])).toThrow(/--json and --format table/);
    expect(parseCli(['scan', '--json', '--format', 'json']).format).toBe('json');
  });

  it("takes a negative number after an option that takes a value as its value, for the option's own check", () => {
    // "--keep-last -1" gave Node's own "argument is ambiguous ... '--keep-last=-XYZ'".
    expect(() => parseCli(['prune', '--dry-run', '--keep-last', '-1'])).toThrow(
      /--keep-last takes a whole number/,
    );
    expect(() => parseCli(['prune', '--dry-run', '--keep-last', '-1'])).not.toThrow(/ambiguous/);
    expect(parseCli(['files', 'app', '--layer', '-2']).layer).toBe('-2');
  });
});
