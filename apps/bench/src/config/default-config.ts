// Where the shipped default config lives: apps/bench/configs/default.yaml (two levels up from src/config
// and from dist/config alike).
import { fileURLToPath } from 'node:url';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../configs/default.yaml', import.meta.url));
