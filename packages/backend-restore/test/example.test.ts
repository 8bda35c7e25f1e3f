import { describeReadmeExample } from '../../../scripts/test-support/readme-example.ts';

describeReadmeExample(import.meta.url, 'restore.mjs', { shipsExamples: true });
