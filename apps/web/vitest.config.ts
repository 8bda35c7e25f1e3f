import { defineProject, mergeConfig } from 'vitest/config';
import { sharedProject } from '../../vitest.shared.ts';

export default mergeConfig(
  sharedProject,
  defineProject({ test: { name: '@khva/web', testTimeout: 120_000, hookTimeout: 120_000 } }),
);
