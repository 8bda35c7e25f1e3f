import { describeBackendContract } from '@khva/backend-testkit';
import { mmLocalBackend } from '../src/index.ts';

describeBackendContract({ factory: mmLocalBackend });
// With the reach guard off the backend still answers reachable() truthfully; the contract is the same.
describeBackendContract({
  factory: mmLocalBackend,
  kernel: { reachGuard: false },
  label: 'reachGuard off',
  cpus: 2,
});
