import { defineProject } from 'vitest/config';

// Every package's vitest config merges this: tests resolve workspace packages to their
// TypeScript sources through the custom export condition (both resolve and ssr are needed).
// The timeout is a hang guard, not a speed check (speed lives in bench/): explorer and workload tests
// take a few seconds on a quiet 2-core CI box and several times that on a loaded one.
export const sharedProject = defineProject({
  resolve: { conditions: ['@khva/source'] },
  ssr: { resolve: { conditions: ['@khva/source'] } },
  test: { include: ['test/**/*.test.ts'], restoreMocks: true, testTimeout: 60_000, hookTimeout: 60_000 },
});
