// `--kernel series=rfc-v1,samePfnRemap=on`: kernel switches laid over a scenario's `kernel` block,
// so one file shows a finding with its fix off and proves the fix with it on.
import { defaultKernelOptions, type KernelOptions, type KernelSeries, kernelSeries } from '@khva/kvm';

export type KernelFlag = Partial<KernelOptions>;

const ON = new Set(['on', 'true', '1', 'yes']);
const OFF = new Set(['off', 'false', '0', 'no']);

/** The switches of a --kernel value; a typed error naming the bad part and what is allowed. */
export function parseKernelFlag(value: string): KernelFlag {
  const known = Object.keys(defaultKernelOptions) as Array<keyof KernelOptions>;
  const out: Record<string, boolean | KernelSeries> = {};
  for (const part of value.split(',').filter((p) => p.trim() !== '')) {
    const [rawKey, rawValue, ...rest] = part.split('=');
    const key = rawKey?.trim() as keyof KernelOptions;
    const v = rawValue?.trim().toLowerCase();
    if (rest.length > 0 || v === undefined || v === '') {
      throw new TypeError(`--kernel: "${part}" is not key=value (e.g. samePfnRemap=on)`);
    }
    if (!known.includes(key)) {
      throw new TypeError(`--kernel: unknown switch "${rawKey}"; known: ${known.join(', ')}`);
    }
    if (key === 'series') {
      if (!(kernelSeries as readonly string[]).includes(v)) {
        throw new TypeError(`--kernel: series must be one of ${kernelSeries.join(', ')}, got "${rawValue}"`);
      }
      out.series = v as KernelSeries;
    } else if (ON.has(v) || OFF.has(v)) {
      out[key] = ON.has(v);
    } else {
      throw new TypeError(`--kernel: ${key} takes on or off, got "${rawValue}"`);
    }
  }
  return out as KernelFlag;
}
