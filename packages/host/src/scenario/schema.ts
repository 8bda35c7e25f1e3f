import { MACHINE_LIMITS, PAGE_SIZE } from '@khva/memory-core';
import { z } from 'zod';

// The scenario file format of DESIGN.md ("Scenario files"). Field, op, thread-kind and expect
// names are fixed (users and outside scripts rely on them); fields may be added.

const int = z.number().int();
const nonNeg = int.min(0);
/** An address: a number, or a hex string (YAML 1.2 reads 0x... as a number already); at most 2^52. */
const address = z.union([
  nonNeg.max(2 ** 52),
  z.string().regex(/^0x[0-9a-fA-F]{1,13}$/, 'a hex address of at most 13 digits, such as 0x7f0000000000'),
]);
/** Page counts: enough for any modelled machine (64 GiB of 4 KiB pages), small enough to loop over. */
const pageCount = int.min(1).max(2 ** 24);
/** A memslot id (KVM_MEM_SLOTS_NUM is below 32768). */
const slotId = nonNeg.max(32767);

export const errnoNames = [
  'EINVAL',
  'EFAULT',
  'EIO',
  'ENOMEM',
  'EHWPOISON',
  'EWOULDBLOCK',
  'EEXIST',
  'EBUSY',
] as const;

// The kernel block (KernelOptions of @khva/kvm): `series` picks the generation, gmemInvalidation
// follows it unless given, the finding fixes are off unless turned on (gpcMapMasksAnon: on).
export const kernelSchema = z
  .object({
    series: z.enum(['mainline', 'rfc-v1', 'rfc-v3']).default('rfc-v3'),
    gmemInvalidation: z.boolean().optional(),
    flushOnZap: z.boolean().default(true),
    reachGuard: z.boolean().default(true),
    samePfnRemap: z.boolean().default(false),
    hvaRangeTracking: z.boolean().default(false),
    gpcMapMasksAnon: z.boolean().default(true),
    releaseHook: z.boolean().default(false),
  })
  .strict();

const memslotSchema = z
  .object({
    slot: slotId,
    gfn: address,
    pages: pageCount,
    backing: z.enum(['gmem', 'anon']),
    flags: z.array(z.enum(['mmap', 'no-direct-map'])).default([]),
    hva: address,
    /** The VMM has the gmem file mapped at hva (default: yes when the file allows mmap). */
    vmmMapped: z.boolean().optional(),
    sensitivity: z.enum(['none', 'secret', 'pv']).optional(),
  })
  .strict();

/** VMM memory outside every memslot (an hva-based cache may point there). */
const mappingSchema = z.object({ hva: address, pages: pageCount }).strict();

const vmSchema = z
  .object({
    name: z.string().min(1),
    memslots: z.array(memslotSchema).default([]),
    mappings: z.array(mappingSchema).default([]),
  })
  .strict();

const threadSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(['vcpu', 'host', 'process', 'irq', 'kthread']),
    vm: z.string().optional(),
    cpu: nonNeg,
  })
  .strict();

const sameChanged = z.enum(['same', 'changed', 'none']);

export const expectSchema = z
  .object({
    result: z
      .union([z.literal(0), z.boolean(), z.enum(errnoNames), z.enum(['paused', 'blocked'])])
      .optional(),
    valid: z.boolean().optional(),
    active: z.boolean().optional(),
    pfn: sameChanged.optional(),
    khva: sameChanged.optional(),
    oops: z.boolean().optional(),
    fault: z.boolean().optional(),
    useAfterFree: z.boolean().optional(),
    stale: z.boolean().optional(),
    /** A translation outlived the page it maps during the step (a use-after-free window opened). */
    staleAfterFree: z.boolean().optional(),
    mapCalls: nonNeg.optional(),
    unmapCalls: nonNeg.optional(),
    tlbFlushesGlobal: nonNeg.optional(),
    ipis: nonNeg.optional(),
    wouldBlock: nonNeg.optional(),
    /** Names of invariants violated after the step ([] = none). */
    violations: z.array(z.string()).optional(),
  })
  .strict();

export const opNames = [
  'activate',
  'activate-hva',
  'check',
  'refresh',
  'resume',
  'deactivate',
  'read',
  'write',
  'use',
  'munmap',
  'migrate-page',
  'punch-hole',
  'set-memslot',
  'set-attributes',
  'run',
  'purge',
] as const;

const stepSchema = z
  .object({
    thread: z.string().min(1),
    op: z.enum(opNames),
    cache: z.string().optional(),
    gpa: address.optional(),
    hva: address.optional(),
    /** Bytes the caller checks; longer than a page is a legitimate -EINVAL (kvm_gpc_is_valid_len). */
    len: nonNeg.max(2 ** 20).optional(),
    offset: nonNeg.max(PAGE_SIZE - 1).optional(),
    bytes: int.min(1).max(PAGE_SIZE).optional(),
    vm: z.string().optional(),
    slot: slotId.optional(),
    page: nonNeg.max(2 ** 24).optional(),
    pages: pageCount.optional(),
    gfn: address.optional(),
    delete: z.boolean().optional(),
    private: z.boolean().optional(),
    cpu: nonNeg.optional(),
    atomic: z.boolean().optional(),
    pauseAt: z.string().optional(),
    note: z.string().optional(),
    expect: expectSchema.optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    machine: z
      .object({
        cpus: int.min(1).max(64),
        tlbEntries: int.min(MACHINE_LIMITS.tlbEntries.min).max(MACHINE_LIMITS.tlbEntries.max).optional(),
        memGiB: z.number().min(MACHINE_LIMITS.memGiB.min).max(MACHINE_LIMITS.memGiB.max).optional(),
        /** Free 2 MiB pageblocks at start (default all): a host under memory pressure. */
        freePageblocks: int
          .min(MACHINE_LIMITS.freePageblocks.min)
          .max(MACHINE_LIMITS.freePageblocks.max)
          .optional(),
      })
      .strict(),
    backend: z.string().min(1),
    kernel: kernelSchema.prefault({}),
    seed: nonNeg.max(2 ** 32 - 1).optional(),
    vms: z.array(vmSchema).default([]),
    threads: z.array(threadSchema).min(1),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = Scenario['steps'][number];
export type ScenarioExpect = z.infer<typeof expectSchema>;
