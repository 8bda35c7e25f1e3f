// Numbers for people: locale-independent so reports are identical everywhere. Exact values are in report.json.

const SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Three significant digits and a power-of-1000 suffix: 1234567 -> [1.23, 'M']. */
function scaled(value: number): [number, string] {
  let tier = Math.min(Math.floor(Math.log10(Math.abs(value)) / 3), SUFFIXES.length - 1);
  let mantissa = Number((value / 10 ** (tier * 3)).toPrecision(3));
  if (Math.abs(mantissa) >= 1000 && tier < SUFFIXES.length - 1) {
    tier += 1;
    mantissa = Number((value / 10 ** (tier * 3)).toPrecision(3));
  }
  return [mantissa, SUFFIXES[tier] ?? ''];
}

/** Full precision for humans: `1,234,567` for whole numbers, two to zero decimals otherwise. */
export function formatExact(value: number): string {
  if (Number.isInteger(value)) return group(String(value));
  const abs = Math.abs(value);
  const fixed = value.toFixed(abs < 10 ? 2 : abs < 1000 ? 1 : 0);
  const [whole = '', fraction] = fixed.split('.');
  return fraction === undefined ? group(whole) : `${group(whole)}.${fraction}`;
}

/** For tables: up to six digits in full, then three significant digits: `987,654`, `1.23 M`, `45.6 G`. */
export function formatCompact(value: number): string {
  if (Math.abs(value) < 1e6) return formatExact(value);
  const [mantissa, suffix] = scaled(value);
  return `${mantissa} ${suffix}`;
}

/** Narrowest, for chart labels and the terminal: up to four digits, then `98.3k`, `2.87M`. */
export function formatShort(value: number): string {
  if (Math.abs(value) < 1e4)
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  const [mantissa, suffix] = scaled(value);
  return `${mantissa}${suffix}`;
}
