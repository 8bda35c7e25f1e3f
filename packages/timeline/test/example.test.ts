import { describeReadmeExample } from '../../../scripts/test-support/readme-example.ts';

describeReadmeExample(import.meta.url, 'timeline.mjs', { shipsExamples: true });
