import { describeReadmeExample } from '../../../scripts/test-support/readme-example.ts';

describeReadmeExample(import.meta.url, 'memremap.mjs', { shipsExamples: true });
