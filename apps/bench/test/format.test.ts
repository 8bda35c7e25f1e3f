import { describe, expect, it } from 'vitest';
import { bestIndices } from '../src/report/best.ts';
import { formatCompact, formatExact, formatShort } from '../src/report/format.ts';

describe('number formatting', () => {
  it('groups whole numbers and rounds fractions by magnitude', () => {
    expect(formatExact(0)).toBe('0');
    expect(formatExact(1234567)).toBe('1,234,567');
    expect(formatExact(1.23456)).toBe('1.23');
    expect(formatExact(123.456)).toBe('123.5');
    expect(formatExact(12345.6)).toBe('12,346');
  });

  it('shortens numbers of a million and more to three significant digits', () => {
    expect(formatCompact(999_999)).toBe('999,999');
    expect(formatCompact(1_000_000)).toBe('1 M');
    expect(formatCompact(1_234_567)).toBe('1.23 M');
    expect(formatCompact(999_999_999)).toBe('1 G');
    expect(formatCompact(45.6e9)).toBe('45.6 G');
    expect(formatCompact(7.1e15)).toBe('7.1 P');
  });
});

describe('best values', () => {
  it('marks the minimum, all ties, and nothing when every value is equal', () => {
    expect([...bestIndices([3, 1, 2])]).toEqual([1]);
    expect([...bestIndices([0, 5, 0])]).toEqual([0, 2]);
    expect([...bestIndices([4, 4, 4])]).toEqual([]);
    expect([...bestIndices([])]).toEqual([]);
  });
});

describe('short numbers', () => {
  it('keeps four digits, then three significant digits with a suffix', () => {
    expect(formatShort(0)).toBe('0');
    expect(formatShort(9999)).toBe('9999');
    expect(formatShort(105.6789)).toBe('105.7');
    expect(formatShort(10_000)).toBe('10k');
    expect(formatShort(809_830)).toBe('810k');
    expect(formatShort(999_999)).toBe('1M');
    expect(formatShort(2_870_000)).toBe('2.87M');
  });
});
