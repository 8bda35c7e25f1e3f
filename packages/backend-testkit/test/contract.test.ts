import { describeBackendContract } from '../src/index.ts';
import { eagerVmapFixture, mmLocalFixture, pageAddressFixture, perAccessFixture } from './fixtures.ts';

// The suite run on one reference backend of each kind: every branch of the contract is exercised.
describeBackendContract({ factory: eagerVmapFixture });
describeBackendContract({ factory: pageAddressFixture, noDirectMapPages: 'dead-address' });
describeBackendContract({ factory: mmLocalFixture, cpus: 2 });
describeBackendContract({ factory: perAccessFixture, cpus: 8 });
