// Text -> plain data, the same guarantees for JSON and YAML: one line per syntax error, duplicate keys and
// prototype keys refused (with the line), nesting and YAML aliases bounded. Every failure is an InputError.
import { visit as visitJson } from 'jsonc-parser';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument as parseYamlDocument,
  type Node as YamlNode,
} from 'yaml';
import { InputError, type InputIssue } from './input-error.ts';
import { FORBIDDEN_KEYS, formatPath } from './key-path.ts';
import { INPUT_LIMITS } from './limits.ts';

export type DocumentFormat = 'json' | 'yaml';

/** `.json` is JSON; anything else is read as YAML (which also accepts JSON). */
export function formatOf(path: string): DocumentFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}

export interface ParseDocumentOptions {
  readonly format: DocumentFormat;
  /** What the file is, for messages: `config`, `scenario`. */
  readonly kind: string;
  /** The file as the user named it. */
  readonly source: string;
}

/** A parser's message, first line only and not longer than a terminal line or two. */
function oneLine(message: string): string {
  const first = (message.split('\n')[0] ?? message).trim();
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

function keyIssue(path: readonly PropertyKey[], key: string, line: number | undefined): InputIssue | null {
  const where = line === undefined ? '' : ` (line ${line})`;
  if (FORBIDDEN_KEYS.has(key))
    return { path: formatPath([...path, key]), message: `the key "${key}" is not allowed${where}` };
  return null;
}

/** Deepest nesting of brackets outside strings, stopping early once past `limit` (valid JSON assumed). */
function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

function parseJson(text: string, fail: (issue: InputIssue) => InputError): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const line = at?.[1] === undefined ? '' : `line ${lineOf(text, Number(at[1]))}: `;
    throw fail({ path: '(syntax)', message: `${line}not valid JSON: ${oneLine(message)}` });
  }
  if (jsonDepthExceeds(text, INPUT_LIMITS.maxDepth))
    throw fail({ path: '(root)', message: `nested more than ${INPUT_LIMITS.maxDepth} levels deep` });
  // JSON.parse keeps the last of two equal keys without a word; the visitor sees every key, in order.
  const seen: Set<string>[] = [];
  let problem: InputIssue | null = null;
  visitJson(
    text,
    {
      onObjectBegin: () => {
        seen.push(new Set());
      },
      onObjectEnd: () => {
        seen.pop();
      },
      onObjectProperty: (key, _offset, _length, startLine, _startCharacter, pathSupplier) => {
        if (problem !== null) return;
        const path = pathSupplier();
        const keys = seen[seen.length - 1];
        problem = keyIssue(path, key, startLine + 1);
        if (problem === null && keys !== undefined) {
          if (keys.has(key))
            problem = {
              path: formatPath([...path, key]),
              message: `duplicate key (line ${startLine + 1}); each key may appear once`,
            };
          keys.add(key);
        }
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  if (problem !== null) throw fail(problem);
  return value;
}

/** Checks keys (duplicates, prototype keys) and depth on the YAML syntax tree, before building any value. */
function checkYamlTree(root: YamlNode | null, lines: LineCounter): InputIssue | null {
  if (root === null) return null;
  const stack: { node: unknown; path: PropertyKey[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const { node, path } = top;
    if (path.length > INPUT_LIMITS.maxDepth)
      return { path: '(root)', message: `nested more than ${INPUT_LIMITS.maxDepth} levels deep` };
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item, path: [...path, i] });
      });
    } else if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : undefined;
        if (!isScalar(pair.key) || isAlias(pair.key))
          return {
            path: formatPath(path),
            message: `a key must be a plain value, not a mapping, a list or an alias${line === undefined ? '' : ` (line ${line})`}`,
          };
        const key = String(pair.key.value);
        const forbidden = keyIssue(path, key, line);
        if (forbidden !== null) return forbidden;
        if (keys.has(key))
          return {
            path: formatPath([...path, key]),
            message: `duplicate key${line === undefined ? '' : ` (line ${line})`}; each key may appear once`,
          };
        keys.add(key);
        stack.push({ node: pair.value, path: [...path, key] });
      }
    }
  }
  return null;
}

function parseYaml(text: string, fail: (issue: InputIssue) => InputError): unknown {
  const lines = new LineCounter();
  // uniqueKeys is checked on the tree below in linear time (the parser's own check is quadratic).
  const doc = parseYamlDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) {
    const line = error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line;
    // The parser reports running out of stack on deep flow nesting as a syntax error of its own.
    if (/call stack/i.test(error.message))
      throw fail({ path: '(root)', message: `line ${line}: nested too deeply to parse` });
    throw fail({ path: '(syntax)', message: `line ${line}: not valid YAML: ${oneLine(error.message)}` });
  }
  const problem = checkYamlTree(doc.contents, lines);
  if (problem !== null) throw fail(problem);
  try {
    return doc.toJS({ maxAliasCount: INPUT_LIMITS.maxAliasCount });
  } catch (error) {
    // The only way toJS fails on a tree that parsed: aliases that would expand past the limit.
    const message = error instanceof Error ? error.message : String(error);
    throw fail({
      path: '(syntax)',
      message: /alias/i.test(message)
        ? `too many YAML aliases to expand (an alias bomb?): at most ${INPUT_LIMITS.maxAliasCount} are expanded`
        : `not valid YAML: ${oneLine(message)}`,
    });
  }
}

/**
 * Parses a document. Throws an InputError for a syntax error, a duplicate key, a `__proto__`,
 * `constructor` or `prototype` key, nesting past the limit or a YAML alias bomb.
 */
export function parseDocument(text: string, options: ParseDocumentOptions): unknown {
  const fail = (issue: InputIssue) => new InputError(options.kind, options.source, [issue]);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return options.format === 'json' ? parseJson(body, fail) : parseYaml(body, fail);
  } catch (error) {
    if (error instanceof InputError) throw error;
    // A parser that runs out of stack on pathological nesting: the input's fault, not a bug.
    if (error instanceof RangeError)
      throw fail({ path: '(root)', message: `nested too deeply to parse (${oneLine(error.message)})` });
    throw error;
  }
}

/** Parses a document that must be a mapping (`{ ... }`), as every input file of the CLI is. */
export function parseMapping(text: string, options: ParseDocumentOptions): Record<string, unknown> {
  const value = parseDocument(text, options);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(options.kind, options.source, [
      { path: '(root)', message: `expected a mapping of ${options.kind} fields` },
    ]);
  }
  return value as Record<string, unknown>;
}
