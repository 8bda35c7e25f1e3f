// The sweep file (`khva-bench sweep --config sweep.yaml`): a base bench config, the axes that vary it and
// how each axis value reaches config fields. Checked by zod like the bench config; paths are checked
// against the bench config's own schema in config-paths.ts.
import { z } from 'zod';

export const SCALAR = z.union([z.number(), z.string(), z.boolean()]);
/** One value of an axis: a scalar, or a list (e.g. a `backends` list). */
export const AXIS_VALUE = z.union([SCALAR, z.array(SCALAR)]);
export type AxisValue = z.infer<typeof AXIS_VALUE>;

const description = {
  base: 'The bench config every point starts from (the shape `khva-bench run --config` takes).',
  axes: 'Axis name -> its values; points are the cartesian product, first axis outermost. An axis named by a config path (`machine.cpus`, `kernel.flushOnZap`, `workloads.kvmclock.vms`, `seed`) sets that field; any other name is a variable for `set` and `where`.',
  points:
    'Instead of `axes`: the points, each a mapping of axis name -> value (every point names the same axes).',
  set: 'Config path -> expression over the axis variables (`vcpus / vms`), evaluated per point.',
  where: 'Keep only the points for which this expression over the axis variables is true (`vms <= vcpus`).',
  charts:
    'Charts of sweep.html: one per metric against `x`, the other axes held at `fix` (default: their first value).',
};

export const SWEEP_FILE_SCHEMA = z
  .strictObject({
    $schema: z.string().optional(),
    base: z.record(z.string(), z.unknown()).meta({ description: description.base }),
    axes: z
      .record(z.string().min(1), z.array(AXIS_VALUE).min(1, 'give an axis at least one value'))
      .optional()
      .meta({ description: description.axes }),
    points: z
      .array(z.record(z.string().min(1), AXIS_VALUE))
      .min(1, 'give at least one point')
      .optional()
      .meta({ description: description.points }),
    set: z.record(z.string().min(1), z.string().min(1)).default({}).meta({ description: description.set }),
    where: z.string().min(1).optional().meta({ description: description.where }),
    charts: z
      .array(z.strictObject({ x: z.string().min(1), fix: z.record(z.string(), AXIS_VALUE).default({}) }))
      .optional()
      .meta({ description: description.charts }),
  })
  .superRefine((file, ctx) => {
    if ((file.axes === undefined) === (file.points === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['axes'],
        message: 'give either `axes` or `points` (one of them)',
      });
    }
    if (file.axes !== undefined && Object.keys(file.axes).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['axes'], message: 'name at least one axis' });
    }
    const first = file.points?.[0];
    if (first !== undefined) {
      const names = Object.keys(first).sort().join(',');
      file.points?.forEach((point, i) => {
        if (Object.keys(point).sort().join(',') !== names) {
          ctx.addIssue({
            code: 'custom',
            path: ['points', i],
            message: `every point names the same axes (${names || 'none'}); this one names ${Object.keys(point).sort().join(',') || 'none'}`,
          });
        }
      });
    }
  })
  .meta({
    title: 'khva-bench sweep',
    description: 'A base config and the axes that vary it (khva-bench sweep).',
  });

export type SweepFile = z.output<typeof SWEEP_FILE_SCHEMA>;
