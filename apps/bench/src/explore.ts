// The interleaving explorer the model provides (from @khva/explorer): `khva-bench explore FILE`.
import type { BackendRegistry } from '@khva/backend-api';
import type { ExploreFileOptions, ExploreFileResult } from '@khva/explorer/file';

/** What the command passes on: the explorer's options, with the backends to look the file's name up in. */
export type ExploreOptions = Omit<ExploreFileOptions, 'registry'> & {
  /** Also render the shortest counterexample's timeline page (`--html`). */
  readonly html?: boolean;
};

/**
 * Explores the schedules of a scenario file, yielding to the event loop as it goes so that `shouldStop`
 * (set by SIGINT) is seen within a few milliseconds; rejects for a file that cannot be run.
 */
export type ExploreRunner = (
  path: string,
  options: ExploreOptions & { readonly backends: BackendRegistry },
) => Promise<ExploreFileResult & { readonly html?: string }>;
