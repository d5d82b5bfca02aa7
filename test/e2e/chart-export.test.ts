// static/js/chart-export.js in headless Chromium: PNG and SVG downloads of a bar, a doughnut and a
// line chart (the line chart with an inline plugin drawing a target band), under the app's real
// CSP. The fixture page is served by a small server here that proxies /static/ to the real app, so
// the page and the scripts share an origin as they do in production. The line chart's PNG, SVG and
// the SVG as Chromium renders it are kept in test-artifacts/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const BAND = '#ffe680';
const COLOURS = {
  bar: ['#4e79a7', '#f28e2b'],
  doughnut: ['#59a14f', '#e15759', '#76b7b2'],
  line: ['#af7aa1'],
} as const;
type ChartName = keyof typeof COLOURS;
const NAMES = Object.keys(COLOURS) as ChartName[];

interface Fixture {
  Chart: any;
  charts: Record<ChartName, any>;
  chartToPngBlob(chart: unknown): Promise<Blob>;
  chartToSvg(chart: unknown): string;
  downloadChart(chart: unknown, format: 'png' | 'svg', filename: string): Promise<void>;
}
declare global {
  interface Window {
    fixture: Fixture;
  }
}

// The page's own script (served from the page's origin: the CSP allows no inline script).
const FIXTURE_JS = `
import { chartToPngBlob, chartToSvg, downloadChart } from '/static/js/chart-export.js';
const Chart = window.Chart;
const targetBand = {
  id: 'targetBand',
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea, scales: { y } } = chart;
    const top = y.getPixelForValue(60);
    ctx.save();
    ctx.fillStyle = '${BAND}';
    ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, y.getPixelForValue(40) - top);
    ctx.restore();
  },
};
const c = (id, config) => new Chart(document.getElementById(id), config);
const charts = {
  bar: c('bar', {
    type: 'bar',
    data: {
      labels: ['Spring term', 'Summer term', 'Autumn term'],
      datasets: [
        { label: 'Awarded', data: [12, 19, 7], backgroundColor: '${COLOURS.bar[0]}' },
        { label: 'Shared', data: [5, 11, 3], backgroundColor: '${COLOURS.bar[1]}' },
      ],
    },
    options: { maintainAspectRatio: false, plugins: { title: { display: true, text: 'Badges by term' } } },
  }),
  doughnut: c('doughnut', {
    type: 'doughnut',
    data: {
      labels: ['LinkedIn', 'Email', 'Wallet'],
      datasets: [{ label: 'Shares', data: [30, 50, 20], backgroundColor: ${JSON.stringify(COLOURS.doughnut)} }],
    },
    options: { maintainAspectRatio: false },
  }),
  line: c('line', {
    type: 'line',
    data: {
      labels: ['Week 1', 'Week 2', 'Week 3', 'Week 4', 'Week 5', 'Week 6'],
      datasets: [{ label: 'Verifications', data: [20, 35, 48, 52, 70, 64], borderColor: '${COLOURS.line[0]}', backgroundColor: '${COLOURS.line[0]}', tension: 0.3 }],
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 80, title: { display: true, text: 'Verifications per week' } } } },
    plugins: [targetBand],
  }),
};
window.fixture = { Chart, charts, chartToPngBlob, chartToSvg, downloadChart };
`;
const FIXTURE_CSS = '.box { width: 480px; height: 300px; position: relative; margin: 8px; }';
const FIXTURE_HTML = `<!doctype html><html lang="en"><head><title>chart export</title>
<link rel="stylesheet" href="/fixture.css">
<script src="/static/vendor/chart.umd.min.js"></script>
<script type="module" src="/fixture.js"></script></head>
<body>${NAMES.map((n) => `<div class="box"><canvas id="${n}"></canvas></div>`).join('')}</body></html>`;

let app: TestApp;
let browser: Browser;
let fixtureServer: http.Server;
let fixtureUrl: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, browser] = await Promise.all([startTestApp(), launchChromium()]);
  // The CSP of the app's pages (set on every response after /static, a 404 included).
  const csp = (await fetch(`${app.url}/no-such-page`)).headers.get('content-security-policy');
  expect(csp).toContain("script-src 'self'");
  fixtureServer = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/static/')) {
      fetch(app.url + url)
        .then(async (r) => {
          res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/octet-stream' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch((e: Error) => res.writeHead(502).end(e.message));
      return;
    }
    if (url === '/favicon.ico') return void res.writeHead(204).end();
    const body = { '/': FIXTURE_HTML, '/fixture.js': FIXTURE_JS, '/fixture.css': FIXTURE_CSS }[url];
    if (body === undefined) return void res.writeHead(404).end();
    const type = url === '/' ? 'text/html' : url.endsWith('.js') ? 'text/javascript' : 'text/css';
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Security-Policy': csp! });
    res.end(body);
  });
  await new Promise<void>((resolve) => fixtureServer.listen(0, '127.0.0.1', resolve));
  fixtureUrl = `http://127.0.0.1:${(fixtureServer.address() as AddressInfo).port}/`;

  // deviceScaleFactor 2: the PNG must come out at device pixels, the SVG at CSS pixels.
  context = await browser.newContext({ viewport: { width: 1000, height: 1000 }, deviceScaleFactor: 2, acceptDownloads: true });
  await context.exposeBinding('__cspViolation', (_source, v: string) => problems.push(`CSP violation: ${v}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI}`);
    });
  });
  context.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
  context.on('weberror', (e) => problems.push(`uncaught error: ${e.error().message}`));
  page = await context.newPage();
  await page.goto(fixtureUrl, { waitUntil: 'load' });
  // Exports happen once the charts have finished animating in.
  await page.waitForFunction(() => window.fixture && Object.values(window.fixture.charts).every((c) => !window.fixture.Chart.animator.running(c)));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  fixtureServer?.closeAllConnections();
  await new Promise((r) => (fixtureServer ? fixtureServer.close(r) : r(undefined)));
  await app?.close();
});

const hex = (r: number, g: number, b: number) => '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');

/** The PNG's bytes, and what Chromium decodes from them: size, corner pixel and exact colours. */
async function pngOf(name: ChartName) {
  const r = await page.evaluate(async (n) => {
    const chart = window.fixture.charts[n];
    const blob = await window.fixture.chartToPngBlob(chart);
    const bitmap = await createImageBitmap(blob);
    const c = document.createElement('canvas');
    c.width = bitmap.width;
    c.height = bitmap.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts: Record<string, number> = {};
    for (let i = 0; i < px.length; i += 4) {
      const k = `${px[i]},${px[i + 1]},${px[i + 2]},${px[i + 3]}`;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return { type: blob.type, base64: btoa(binary), counts, canvas: { width: chart.canvas.width, height: chart.canvas.height }, bitmap: { width: bitmap.width, height: bitmap.height }, corner: Array.from(px.slice(0, 4)) };
  }, name);
  const bytes = Buffer.from(r.base64, 'base64');
  // Colours covering at least 20 pixels, as #rrggbb (opaque pixels only).
  const colours = new Set(
    Object.entries(r.counts)
      .filter(([k, n]) => n >= 20 && k.endsWith(',255'))
      .map(([k]) => hex(...(k.split(',').map(Number) as [number, number, number]))),
  );
  return { ...r, bytes, colours };
}

interface SvgSummary {
  parseError: string | null;
  root: { name: string; ns: string | null; width: string | null; height: string | null; viewBox: string | null };
  firstShape: { name: string; fill: string | null; width: string | null } | null;
  shapes: { name: string; fill: string | null; stroke: string | null; commands: number }[];
  texts: { text: string; fontSize: string | null; fontFamily: string | null; fill: string | null }[];
}

/** The SVG string, parsed back as image/svg+xml in the page. */
async function svgOf(name: ChartName, prepare?: string) {
  return page.evaluate(
    ([n, prep]) => {
      const chart = window.fixture.charts[n];
      // As the legend would, but without the animation (later tests compare against the canvas).
      const toggle = () => {
        if (prep === 'hide-second-dataset') chart.setDatasetVisibility(1, !chart.isDatasetVisible(1));
        if (prep === 'hide-second-slice') chart.toggleDataVisibility(1);
        chart.update('none');
      };
      if (prep) toggle();
      let svg: string;
      try {
        svg = window.fixture.chartToSvg(chart);
      } finally {
        if (prep) toggle();
      }
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const root = doc.documentElement;
      // Drawn shapes: not the clip paths svgcanvas keeps in <defs>.
      const shapes = Array.from(doc.querySelectorAll('path, rect')).filter((s) => !s.closest('defs'));
      const summary: SvgSummary = {
        parseError: doc.querySelector('parsererror')?.textContent ?? null,
        root: { name: root.localName, ns: root.namespaceURI, width: root.getAttribute('width'), height: root.getAttribute('height'), viewBox: root.getAttribute('viewBox') },
        firstShape: shapes[0] ? { name: shapes[0].localName, fill: shapes[0].getAttribute('fill'), width: shapes[0].getAttribute('width') } : null,
        shapes: shapes.map((s) => ({ name: s.localName, fill: s.getAttribute('fill'), stroke: s.getAttribute('stroke'), commands: (s.getAttribute('d') ?? '').split(/[MLCQAZ]/).length - 1 })),
        texts: Array.from(doc.querySelectorAll('text')).map((t) => ({ text: t.textContent ?? '', fontSize: t.getAttribute('font-size'), fontFamily: t.getAttribute('font-family'), fill: t.getAttribute('fill') })),
      };
      return { svg, summary };
    },
    [name, prepare ?? ''] as const,
  );
}

describe('chart export in a browser', { timeout: 120_000 }, () => {
  it.each(NAMES)('%s chart: PNG at device pixels, on white, in the dataset colours', async (name) => {
    const png = await pngOf(name);
    expect(png.type).toBe('image/png');
    expect(png.bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
    const size = { width: png.bytes.readUInt32BE(16), height: png.bytes.readUInt32BE(20) };
    expect(size).toEqual({ width: 960, height: 600 }); // 480×300 CSS px at deviceScaleFactor 2
    expect(size).toEqual(png.canvas);
    expect(png.bitmap).toEqual(size);
    expect(png.corner).toEqual([255, 255, 255, 255]); // white, not transparent
    expect(png.colours.size).toBeGreaterThan(4);
    for (const c of COLOURS[name]) expect([...png.colours], c).toContain(c);
    if (name === 'line') expect([...png.colours]).toContain(BAND);
    if (name === 'line') writeFileSync(path.join(ARTIFACTS, 'chart-export-line.png'), png.bytes);
  });

  it.each(NAMES)('%s chart: SVG document with shapes, texts and a white background', async (name) => {
    const { svg, summary } = await svgOf(name);
    writeFileSync(path.join(ARTIFACTS, `chart-export-${name}.svg`), svg);
    expect(summary.parseError).toBeNull();
    expect(summary.root).toEqual({ name: 'svg', ns: 'http://www.w3.org/2000/svg', width: '480', height: '300', viewBox: '0 0 480 300' });
    expect(summary.firstShape).toEqual({ name: 'rect', fill: '#ffffff', width: '100%' });
    const filled = (c: string) => summary.shapes.filter((s) => s.fill === c);
    const texts = summary.texts.map((t) => t.text);
    // Every label in Chart.js's font, not the SVG default (svgcanvas's own font parsing is refused by the CSP).
    for (const t of summary.texts) expect(t, t.text).toMatchObject({ fontSize: '12px', fontFamily: expect.stringContaining('Helvetica') });
    if (name === 'bar') {
      expect(filled(COLOURS.bar[0]).length).toBeGreaterThanOrEqual(4); // 3 bars + legend box
      expect(filled(COLOURS.bar[1]).length).toBeGreaterThanOrEqual(4);
      expect(texts).toEqual(expect.arrayContaining(['Spring term', 'Summer term', 'Autumn term', 'Awarded', 'Shared', '0', '10']));
      expect(svg).toContain('Badges by term'); // the title, in bold
    } else if (name === 'doughnut') {
      for (const c of COLOURS.doughnut) expect(filled(c).length, c).toBeGreaterThanOrEqual(2); // slice + legend box
      expect(texts).toEqual(expect.arrayContaining(['LinkedIn', 'Email', 'Wallet']));
    } else {
      // The line itself: one stroked path through all six points (with curves).
      const lines = summary.shapes.filter((s) => s.stroke === COLOURS.line[0] && s.fill === 'none' && s.commands >= 6);
      expect(lines.length, JSON.stringify(summary.shapes.filter((s) => s.stroke === COLOURS.line[0]))).toBeGreaterThanOrEqual(1);
      expect(filled(COLOURS.line[0]).length).toBeGreaterThanOrEqual(6); // the points
      expect(filled(BAND)).toHaveLength(1); // the inline plugin's band
      expect(texts).toEqual(expect.arrayContaining(['Week 1', 'Week 6', 'Verifications', 'Verifications per week', '0', '80']));
    }
  });

  it('leaves datasets and slices hidden in the legend out of the SVG, and the chart as it was', async () => {
    const { summary } = await svgOf('bar', 'hide-second-dataset');
    expect(summary.shapes.filter((s) => s.fill === COLOURS.bar[1])).toHaveLength(1); // its legend box only
    expect(summary.shapes.filter((s) => s.fill === COLOURS.bar[0]).length).toBeGreaterThanOrEqual(4);
    const doughnut = (await svgOf('doughnut', 'hide-second-slice')).summary;
    expect(doughnut.shapes.filter((s) => s.fill === COLOURS.doughnut[1])).toHaveLength(1); // its legend box only
    expect(doughnut.shapes.filter((s) => s.fill === COLOURS.doughnut[0])).toHaveLength(2);
    // The original chart still has its canvas, and the same chart is registered on it.
    expect(await page.evaluate(() => window.fixture.Chart.getChart('bar') === window.fixture.charts.bar && !!window.fixture.charts.bar.ctx)).toBe(true);
  });

  it.each(NAMES)('%s chart: the SVG, rendered by Chromium, looks like the chart on screen', async (name) => {
    const { svg } = await svgOf(name);
    const svgPath = path.join(ARTIFACTS, `chart-export-${name}.svg`);
    writeFileSync(svgPath, svg);
    // Compare, at CSS pixels, the chart's canvas on white with the SVG drawn as an image.
    const diff = await page.evaluate(
      async ([n, text]) => {
        const chart = window.fixture.charts[n];
        const draw = (src: CanvasImageSource) => {
          const c = document.createElement('canvas');
          c.width = chart.width;
          c.height = chart.height;
          const ctx = c.getContext('2d')!;
          ctx.fillStyle = '#fff';
          ctx.fillRect(0, 0, c.width, c.height);
          ctx.drawImage(src, 0, 0, c.width, c.height);
          return ctx.getImageData(0, 0, c.width, c.height).data;
        };
        const img = new Image();
        img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(text)));
        await img.decode();
        const a = draw(chart.canvas);
        const b = draw(img);
        let sum = 0;
        let far = 0;
        for (let i = 0; i < a.length; i += 4) {
          const d = Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
          sum += d;
          if (d > 150) far++;
        }
        return { mean: sum / (a.length / 4), farShare: far / (a.length / 4) };
      },
      [name, svg] as const,
    );
    expect(diff.mean, JSON.stringify(diff)).toBeLessThan(6);
    expect(diff.farShare, JSON.stringify(diff)).toBeLessThan(0.01);
    // And opened as a document of its own, screenshotted for a person to look at.
    const view = await context.newPage();
    await view.setViewportSize({ width: 480, height: 300 });
    await view.goto(pathToFileURL(svgPath).href);
    await view.screenshot({ path: path.join(ARTIFACTS, `chart-export-${name}-svg-rendered.png`) });
    await view.close();
  });

  it.each([
    ['png', 'awards-by-term.png', '89504e47'],
    ['svg', 'awards-by-term.svg', Buffer.from('<?xm').toString('hex')],
  ] as const)('downloadChart(chart, %j) downloads under the given filename', async (format, filename, magic) => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.evaluate(([f, n]) => window.fixture.downloadChart(window.fixture.charts.bar, f, n), [format, filename] as const),
    ]);
    expect(download.suggestedFilename()).toBe(filename);
    const saved = readFileSync(await download.path());
    expect(saved.subarray(0, 4).toString('hex')).toBe(magic);
    if (format === 'svg') expect(saved.toString('utf8')).toContain('Spring term');
  });

  it('caused no CSP violation and no console error', () => {
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
