import { describeBackendContract } from '@khva/backend-testkit';
import { restoreBackend } from '../src/index.ts';

describeBackendContract({ factory: restoreBackend });
