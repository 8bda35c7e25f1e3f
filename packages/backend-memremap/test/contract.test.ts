import { describeBackendContract } from '@khva/backend-testkit';
import { memremapRelaxedBackend, memremapStrictBackend } from '../src/index.ts';

// Today's kernel: a no-direct-map page gets its dead direct-map alias.
describeBackendContract({ factory: memremapStrictBackend, noDirectMapPages: 'dead-address' });
// try_ram_remap() taught to decline absent pages: ioremap refuses the RAM page.
describeBackendContract({
  factory: memremapStrictBackend,
  options: { skipAbsent: true },
  label: 'skipAbsent',
  noDirectMapPages: 'refused',
});
describeBackendContract({ factory: memremapRelaxedBackend });
describeBackendContract({
  factory: memremapRelaxedBackend,
  options: { nonLazyIounmap: true },
  label: 'nonLazyIounmap',
});
