// Process exit codes of khva-bench.
export const EXIT_OK = 0;
/** A run or a scenario failed (a workload threw, an expect did not hold, the model is not wired in). */
export const EXIT_FAILURE = 1;
/** Bad command line or bad config: nothing was run or written. */
export const EXIT_USAGE = 2;
