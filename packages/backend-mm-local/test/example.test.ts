import { describeReadmeExample } from '../../../scripts/test-support/readme-example.ts';

describeReadmeExample(import.meta.url, 'mm-local.mjs', { shipsExamples: true });
