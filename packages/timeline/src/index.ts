export { renderTimelineHtml } from './html.ts';
export { invariantMeaning, type Recording, type RecordOptions, recordScenario } from './record.ts';
export type {
  Breakage,
  CacheState,
  PageState,
  PageStatus,
  StaleTlbEntry,
  ThreadCell,
  Timeline,
  TimelineStep,
  TimelineThread,
  VmState,
} from './timeline.ts';
