import { describeBackendContract } from '@khva/backend-testkit';
import { ephmapBackend } from '../src/index.ts';

describeBackendContract({ factory: ephmapBackend });
describeBackendContract({
  factory: ephmapBackend,
  kernel: { reachGuard: false },
  label: 'reachGuard off, 2 CPUs',
  cpus: 2,
});
