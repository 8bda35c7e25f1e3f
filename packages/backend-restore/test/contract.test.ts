import { describeBackendContract } from '@khva/backend-testkit';
import { restore } from '../src/index.ts';

describeBackendContract({ factory: restore });
