#!/usr/bin/env node
// khva-bench: build first (`pnpm build`), then run from anywhere.
import { runCli } from '../dist/cli.js';

process.exitCode = await runCli();
