import { describeBackendContract } from '@khva/backend-testkit';
import { mmLocal } from '../src/index.ts';

describeBackendContract({ factory: mmLocal });
// With the reach guard off the backend still answers reachable() truthfully; the contract is the same.
describeBackendContract({
  factory: mmLocal,
  kernel: { reachGuard: false },
  label: 'reachGuard off',
  cpus: 2,
});
