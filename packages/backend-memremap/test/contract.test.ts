import { describeBackendContract } from '@khva/backend-testkit';
import { memremapRelaxed, memremapStrict } from '../src/index.ts';

// Today's kernel: a no-direct-map page gets its dead direct-map alias.
describeBackendContract({ factory: memremapStrict, noDirectMapPages: 'dead-address' });
// try_ram_remap() taught to decline absent pages: ioremap refuses the RAM page.
describeBackendContract({
  factory: memremapStrict,
  options: { skipAbsent: true },
  label: 'skipAbsent',
  noDirectMapPages: 'refused',
});
describeBackendContract({ factory: memremapRelaxed });
describeBackendContract({
  factory: memremapRelaxed,
  options: { nonLazyIounmap: true },
  label: 'nonLazyIounmap',
});
