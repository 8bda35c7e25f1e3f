import { describeBackendContract } from '@khva/backend-testkit';
import { vmapBackend } from '../src/index.ts';

describeBackendContract({ factory: vmapBackend });
// A tiny threshold: purges happen inside the contract's own map/unmap rounds too.
describeBackendContract({
  factory: vmapBackend,
  options: { lazyMaxPagesOverride: 1 },
  label: 'lazyMaxPagesOverride 1',
});
