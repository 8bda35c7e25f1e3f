// The built playground (dist/, as `npx -y pnpm@10.34.9 --filter @khva/web build` makes it) in headless
// Chromium (Debian's package, driven by playwright-core), served over HTTP as any static host would:
// a shipped race's timeline marks the right step, a run in the worker gives byte for byte the CLI's
// report for the same config and seed, a bad config gives the CLI's message, and nothing logs an error.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliIo, defaultRegistry, main } from '@khva/bench';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist', import.meta.url));

// Two backends, two workloads, small sizes: a few hundred milliseconds in either place.
const SMALL = `seed: 11
machine: { cpus: 4 }
backends: [vmap, mm-local]
workloads:
  kvmclock: { vms: 1, vcpusPerVm: 2, updates: 300 }
  xen-evtchn: { vms: 1, vcpusPerVm: 2, events: 300, otherProcesses: 1 }
`;
const BAD = SMALL.replace('vcpusPerVm: 2, updates', 'vcpusPerVm: 0, updates').replace(
  '[vmap, mm-local]',
  '[vmap, kmap]',
);

/** Runs the CLI in-process in `dir`; its exit code and stderr. */
async function cli(dir: string, args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    terminal: undefined,
    cwd: dir,
    now: () => 0,
  };
  const code = await main(args, defaultRegistry, io);
  return { code, stderr };
}

describe('the playground in a real browser', () => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  let dir = '';
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    if (!existsSync(join(DIST, 'index.html'))) {
      throw new Error(`${DIST} is missing: build it with npx -y pnpm@10.34.9 --filter @khva/web build`);
    }
    dir = mkdtempSync(join(tmpdir(), 'khva-web-'));
    server = await serveStatic(DIST);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(hash: string): Promise<Page> {
    if (!browser || !server) throw new Error('not started');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(`${server.url}${hash}`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  it("shows RFC v1's punch-hole race breaking valid-pfn-is-current at step 2, from a deep link", async () => {
    const page = await open('#tab=scenario&scenario=pfncache/gmem-punch-hole-rfc-v1');
    const frame = page.frameLocator('#timeline');
    await frame.locator('#verdict').waitFor();
    expect(await frame.locator('#verdict').textContent()).toMatch(
      /^Step 2 \(vmm punch-hole\) breaks valid-pfn-is-current/,
    );
    const broken = await frame
      .locator('tr[data-break]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
    expect(broken[0]).toBe('2');
    expect(await frame.locator('[data-breaks-of="2"] [data-break-name]').allTextContents()).toEqual([
      'valid-pfn-is-current',
    ]);
    // Stepping: the show button selects the breaking row.
    await frame.locator('#tobreak').click();
    expect(await frame.locator('tr.current').getAttribute('data-step')).toBe('2');
    await page.close();
  });

  it('runs a small config in the worker: report.json and report.html byte for byte what the CLI writes', async () => {
    writeFileSync(join(dir, 'config.yaml'), SMALL);
    const r = await cli(dir, ['run', '--config', 'config.yaml', '--out', 'out', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const page = await open('#tab=run');
    await page.fill('#config', SMALL);
    await page.click('#run');
    await page.waitForSelector('#downloads:not([hidden])');
    const fetchBlob = (id: string) =>
      page.$eval(id, (a) => fetch((a as HTMLAnchorElement).href).then((x) => x.text()));
    expect(await fetchBlob('#dl-json')).toBe(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(await fetchBlob('#dl-html')).toBe(readFileSync(join(dir, 'out', 'report.html'), 'utf8'));
    // The page shows that report, and the URL now carries the config it ran.
    const cycles = await page.frameLocator('#report').locator('table').first().textContent();
    expect(cycles).toContain('vmap');
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('config')).toBe(SMALL);
    await page.close();
  });

  it('names the bad fields exactly as the CLI does', async () => {
    writeFileSync(join(dir, 'config.yaml'), BAD);
    const r = await cli(dir, ['run', '--config', 'config.yaml', '--out', 'bad', '--quiet']);
    expect(r.code).toBe(2);
    const page = await open('#tab=run');
    await page.fill('#config', BAD);
    await page.click('#run');
    await page.waitForSelector('#config-error:not([hidden])');
    const shown = await page.textContent('#config-error');
    expect(shown).toContain('workloads.kvmclock.vcpusPerVm');
    expect(shown).toContain('backends');
    expect(`khva-bench: ${shown}\n`).toBe(r.stderr);
    await page.close();
  });

  it('logged no console error, page error or failed request', () => {
    expect(problems).toEqual([]);
  });
});
