import { describeBackendContract } from '@khva/backend-testkit';
import { ephmap } from '../src/index.ts';

describeBackendContract({ factory: ephmap });
describeBackendContract({
  factory: ephmap,
  kernel: { reachGuard: false },
  label: 'reachGuard off, 2 CPUs',
  cpus: 2,
});
