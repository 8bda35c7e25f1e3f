import { z } from 'zod';

/** An integer parameter with bounds and a default (every parameter has one: `{}` must parse). */
export const count = (min: number, max: number, def: number) =>
  z.number().int().min(min).max(max).default(def);
