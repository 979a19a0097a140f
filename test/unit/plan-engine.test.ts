import { describe, expect, it } from 'vitest';
import { checkPlanEngine, PLAN_FORMAT, type PlanFile } from '../../source/cli/plan-file.js';
import type { ApiInfo } from '../../source/engine/docker/api-types.js';

const file = (engine: Partial<PlanFile['engine']>): PlanFile => ({
  format: PLAN_FORMAT,
  createdAt: '2026-12-07T00:00:00Z',
  engine: {
    host: 'unix:///var/run/docker.sock',
    id: null,
    name: 'box',
    dataRoot: '/var/lib/docker',
    ...engine,
  },
  options: { all: true, volumes: false },
  items: [],
});
const info = (i: Partial<ApiInfo>): ApiInfo => ({
  DockerRootDir: '/var/lib/docker',
  Driver: 'overlay2',
  ...i,
});
const host = 'unix:///var/run/docker.sock';

describe('a plan file applies to the engine it was made for', () => {
  it('by the engine ID when there is one', () => {
    expect(() =>
      checkPlanEngine(file({ id: 'AAAA' }), host, info({ ID: 'AAAA', Name: 'other' })),
    ).not.toThrow();
    expect(() => checkPlanEngine(file({ id: 'AAAA' }), host, info({ ID: 'BBBB', Name: 'box' }))).toThrow(
      /the plan was made for the engine box \(AAAA, unix:\/\/\/var\/run\/docker.sock\), not this one \(box, BBBB, .*nothing was deleted/,
    );
  });

  it('refuses where one side has an ID and the other none: two engines, whatever their data roots', () => {
    expect(() => checkPlanEngine(file({ id: null }), host, info({ ID: 'BBBB', Name: 'box' }))).toThrow(
      /nothing was deleted/,
    );
    expect(() => checkPlanEngine(file({ id: 'AAAA' }), host, info({ Name: 'box' }))).toThrow(
      /nothing was deleted/,
    );
  });

  it('without IDs, by data root, name and address together (the data root alone is /var/lib/docker almost everywhere)', () => {
    expect(() => checkPlanEngine(file({}), host, info({ Name: 'box' }))).not.toThrow();
    expect(() => checkPlanEngine(file({}), host, info({ Name: 'other-box' }))).toThrow(/nothing was deleted/);
    expect(() => checkPlanEngine(file({}), 'ssh://ci@build-2', info({ Name: 'box' }))).toThrow(
      /nothing was deleted/,
    );
  });
});
