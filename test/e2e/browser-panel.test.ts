// The analytics panel as an instructor and an admin see it: opened through a real LTI launch in the
// demo LMS's iframe on another site (no third-party cookies), charts drawn, a filter that changes
// the numbers, an export whose rows are the API's, chart downloads, keyboard sorting, and no
// serious axe-core violation. Screenshots at 1280 and 390 px in test-artifacts/.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'csv-parse/sync';
import type { Download, FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, startDemoBrowser, within, type DemoBrowser } from '../support/demo-browser.js';

const COURSE = 'Introduction to Data Science';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let demo: DemoBrowser;
beforeAll(async () => {
  demo = await startDemoBrowser('panel');
}, 90_000);
afterAll(async () => {
  await demo?.close();
});

/** The analytics API as the same session sees it (the launch token is a bearer credential too). */
async function api(query: Record<string, string>): Promise<any> {
  const ltik = new URL(demo.toolFrame().url()).searchParams.get('ltik')!;
  const res = await fetch(`${demo.toolOrigin}/api/v1/analytics?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${ltik}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** Launches from the LMS, waits for the new launch's landing page, then opens its Analytics tab. */
async function openPanel(button: string, landing: string, heading: string): Promise<FrameLocator> {
  await demo.launchAs(button, /.+/);
  await expect.poll(() => demo.framePath().startsWith(`${landing} `), { timeout: 30_000 }).toBe(true);
  await demo.tool().getByRole('link', { name: 'Analytics' }).click();
  await expect.poll(() => demo.framePath().startsWith('/app/analytics '), { timeout: 30_000 }).toBe(true);
  await expect.poll(() => demo.tool().getByRole('heading', { level: 1, name: heading }).isVisible(), { timeout: 20_000 }).toBe(true);
  await chartsReady();
  await demo.expectCrossSiteAndCookieless('/app/analytics');
  return demo.tool();
}

/** panel.js (a module script, run after the page is parsed) has drawn its charts. */
const chartsReady = () => expect.poll(() => within(5_000, 'charts', demo.toolFrame().evaluate(() => Object.keys((window as any).badgetrailCharts ?? {}).length)).catch(() => 0), { timeout: 30_000 }).toBeGreaterThan(0);

/** Pixels a chart's canvas has painted (not transparent): a blank canvas has none. */
const painted = (id: string) => within(10_000, `chart ${id}`, demo.toolFrame().evaluate((chartId) => {
  const canvas = document.getElementById(`chart-${chartId}`) as HTMLCanvasElement | null;
  if (!canvas) return -1;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n += 1;
  return n;
}, id));

const tile = (frame: FrameLocator, label: string) => frame.locator('.tile', { has: frame.locator('.tile-label', { hasText: label }) }).locator('.tile-value').textContent();
const filters = () => Object.fromEntries(new URL(demo.toolFrame().url()).searchParams);

async function download(frame: FrameLocator, name: string, scope: string): Promise<Download> {
  const [file] = await Promise.all([demo.page.waitForEvent('download'), frame.locator(scope).getByRole('link', { name }).first().click()]);
  return file;
}

/** At 360 px (a small phone, the LMS frame a little narrower) nothing makes the page scroll sideways. */
async function fitsSmallScreen(name: string): Promise<void> {
  await demo.resize({ width: 360, height: 740 });
  const o = await demo.overflow(`${name} @ 360`);
  await demo.resize(DESKTOP);
  expect(o.contentWidth, `${name} scrolls sideways at 360 px`).toBeLessThanOrEqual(o.frameWidth);
}

async function axeViolations(): Promise<string[]> {
  // evaluate() is not subject to the page's CSP, which (rightly) refuses inline scripts.
  await within(20_000, 'axe-core load', demo.toolFrame().evaluate(AXE_SOURCE));
  const found = await within(60_000, 'axe-core run', demo.toolFrame().evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 3) }));
  }));
  return found.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
}

describe('analytics panel in the LMS frame', { timeout: 150_000 }, () => {
  it('opens for the instructor with every chart drawn and the API\'s numbers', async () => {
    const frame = await openPanel('Instructor (course panel)', '/app/course', COURSE);
    for (const id of ['gap', 'funnel', 'timeToClaim', 'awarding', 'sharing', 'viewing', 'timeline']) expect(await painted(id), id).toBeGreaterThan(500);
    const f = await frame.locator('input[name=from]').inputValue();
    const t = await frame.locator('input[name=to]').inputValue();
    const numbers = await api({ from: f, to: t });
    expect(await tile(frame, 'Awarded')).toBe(String(numbers.kpis.awarded));
    const gapRows = await frame.locator('#table-gap tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent!.trim())));
    expect(gapRows.map((r) => [r[1]!.replace(' gap jumps here', ''), Number(r[2]), Number(r[3])])).toEqual(numbers.modules.map((m: any) => [m.title, m.qualifyingCompletions, m.accepted]));
    expect(await frame.locator('tr.jump').count()).toBe(1); // the demo's gap jumps at one module
    await demo.screenshots('panel-instructor');
    await fitsSmallScreen('panel-instructor');
    expect(await axeViolations()).toEqual([]);
    expect(demo.problems).toEqual([]);
  });

  it('changes the numbers when a filter is applied, and keeps the filter in the URL', async () => {
    const frame = demo.tool();
    const before = await tile(frame, 'Awarded');
    await frame.locator('select[name=status]').selectOption('accepted');
    await frame.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => filters().status).toBe('accepted');
    await chartsReady();
    const q = filters();
    const numbers = await api({ from: q.from!, to: q.to!, status: 'accepted' });
    await expect.poll(() => tile(demo.tool(), 'Awarded')).toBe(String(numbers.kpis.awarded));
    expect(String(numbers.kpis.awarded)).not.toBe(before);
    expect(numbers.kpis.acceptanceRate).toBe(1);
    expect(await tile(demo.tool(), 'Acceptance rate')).toBe('100 %');
    expect(await demo.tool().locator('select[name=status]').inputValue()).toBe('accepted');
    expect(demo.problems).toEqual([]);
  });

  it('exports the modules as CSV with the API\'s rows, and downloads a chart as PNG and SVG', async () => {
    const frame = demo.tool();
    const q = filters();
    const csv = await download(frame, 'CSV', 'section:has(#gap-head) .card-head');
    expect(csv.suggestedFilename()).toMatch(/^badgetrail-modules-.*\.csv$/);
    const rows = parse(readFileSync(await csv.path()), { columns: true, bom: true, cast: false }) as Array<Record<string, string>>;
    const numbers = await api({ from: q.from!, to: q.to!, status: q.status! });
    expect(rows.map((r) => [r.moduleId, r.title, Number(r.qualifyingCompletions), Number(r.accepted), r.gap === '' ? null : Number(r.gap)]))
      .toEqual(numbers.modules.map((m: any) => [m.moduleId, m.title, m.qualifyingCompletions, m.accepted, m.gap]));

    const [png] = await Promise.all([demo.page.waitForEvent('download'), frame.locator('[data-download=png][data-target=gap]').click()]);
    expect(png.suggestedFilename()).toBe('badgetrail-gap.png');
    expect(readFileSync(await png.path()).subarray(1, 4).toString()).toBe('PNG');
    const [svg] = await Promise.all([demo.page.waitForEvent('download'), frame.locator('[data-download=svg][data-target=funnel]').click()]);
    const text = readFileSync(await svg.path(), 'utf8');
    expect(text).toContain('<svg');
    expect(text).toContain('Accepted');
    expect(demo.problems).toEqual([]);
  });

  it('sorts the badge table from the keyboard', async () => {
    const frame = demo.tool();
    const header = frame.locator('#table-badges th', { hasText: 'Awarded' });
    await header.locator('button').focus();
    await demo.page.keyboard.press('Enter');
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('descending');
    const awarded = await frame.locator('#table-badges tbody tr td:nth-child(2)').allTextContents();
    expect(awarded.map(Number)).toEqual([...awarded.map(Number)].sort((x, y) => y - x));
    await demo.page.keyboard.press('Enter');
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('ascending');
    const again = await frame.locator('#table-badges tbody tr td:nth-child(2)').allTextContents();
    expect(again.map(Number)).toEqual([...again.map(Number)].sort((x, y) => x - y));
  });

  it('opens the organisation scope for the admin, drills into the course and a badge with its learners', async () => {
    const frame = await openPanel('Admin (organisation)', '/app/org', 'Organisation analytics');
    const courses = await frame.locator('#table-courses tbody tr td:first-child').allTextContents();
    expect(courses).toContain(COURSE);
    const org = await api({ from: await frame.locator('input[name=from]').inputValue(), to: await frame.locator('input[name=to]').inputValue() });
    expect(await tile(frame, 'Awarded')).toBe(String(org.kpis.awarded));
    for (const id of ['gap', 'funnel', 'timeline']) expect(await painted(id), id).toBeGreaterThan(500);
    await demo.screenshots('panel-admin');
    await fitsSmallScreen('panel-admin');
    expect(await axeViolations()).toEqual([]);

    await frame.getByRole('link', { name: COURSE }).click();
    await expect.poll(() => demo.tool().getByRole('heading', { level: 1, name: COURSE }).isVisible(), { timeout: 20_000 }).toBe(true);
    await chartsReady();
    await demo.tool().locator('#table-badges a', { hasText: 'Responsible Data Practitioner' }).click();
    await expect.poll(() => demo.tool().getByRole('heading', { level: 1, name: 'Responsible Data Practitioner' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await chartsReady();
    const states = await demo.tool().locator('#table-learners tbody tr td:nth-child(3)').allTextContents();
    expect(states.length).toBeGreaterThan(0);
    expect(states.some((s) => s.startsWith('claimed'))).toBe(true);
    expect(states.some((s) => s === 'not yet claimed')).toBe(true);
    await demo.screenshots('panel-badge');
    await fitsSmallScreen('panel-badge');
    expect(await axeViolations()).toEqual([]);
    expect(demo.problems).toEqual([]);
  });
});
