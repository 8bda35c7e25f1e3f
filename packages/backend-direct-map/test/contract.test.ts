import { describeBackendContract } from '@khva/backend-testkit';
import { directMapBackend } from '../src/index.ts';

// page_address() of a page that left the direct map: the dead address the contract expects.
describeBackendContract({ factory: directMapBackend, noDirectMapPages: 'dead-address' });
describeBackendContract({
  factory: directMapBackend,
  noDirectMapPages: 'dead-address',
  cpus: 2,
  label: '2 CPUs',
});
