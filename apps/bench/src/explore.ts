// The interleaving explorer the model provides (from @khva/explorer): `khva-bench explore FILE`.
import type { ExploreFileOptions, ExploreFileResult } from '@khva/explorer';

/** What the command passes on: everything but the backend registry, which the wiring supplies. */
export type ExploreOptions = Omit<ExploreFileOptions, 'registry'>;

/** Explores the schedules of a scenario file; throws for a file that cannot be run. */
export type ExploreRunner = (path: string, options: ExploreOptions) => ExploreFileResult;
