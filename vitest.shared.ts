import { defineProject } from 'vitest/config';

// Every package's vitest config merges this: tests resolve workspace packages to their
// TypeScript sources through the custom export condition (both resolve and ssr are needed).
export const sharedProject = defineProject({
  resolve: { conditions: ['@khva/source'] },
  ssr: { resolve: { conditions: ['@khva/source'] } },
  test: { include: ['test/**/*.test.ts'], restoreMocks: true },
});
