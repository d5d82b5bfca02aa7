// Download a Chart.js chart as PNG or SVG (PRODUCT.md §6). Needs window.Chart (our
// /static/vendor/chart.umd.min.js) loaded before any export runs.
//
// The SVG is not traced from the canvas: the chart's config is drawn a second time, by Chart.js,
// into a svgcanvas Context (a canvas-2D look-alike that builds SVG). So everything the chart
// needs to draw must live in its config: data, options and *inline* plugins (config.plugins).
// Plugins registered globally with Chart.register() apply to the copy too.
import { Context } from '/static/vendor/svgcanvas.esm.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** PNG of the chart as it is on screen, at the canvas's own (device-pixel) size, on white. */
export function chartToPngBlob(chart) {
  const src = chart.canvas;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height;
  const ctx = out.getContext('2d');
  // The chart canvas is transparent; on a dark viewer or slide a transparent PNG loses its axes.
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);
  return new Promise((resolve, reject) => {
    out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png');
  });
}

/** Standalone SVG document (a string) of the chart at its CSS size. */
export function chartToSvg(chart) {
  const Chart = window.Chart;
  const width = chart.width;
  const height = chart.height;
  const ctx = new Context({ width, height });
  // Chart.js asks the item it is given for getContext('2d'); the Context is its own canvas.
  ctx.getContext = () => ctx;
  parseFontsWithCssom(ctx);

  const src = chart.config;
  const data = {
    ...src.data,
    labels: src.data.labels ? src.data.labels.slice() : src.data.labels,
    // Copies, so the temporary chart neither hooks the original's data arrays nor its datasets;
    // `hidden` carries over datasets the user switched off in the legend.
    datasets: src.data.datasets.map((ds, i) => ({
      ...ds,
      data: Array.isArray(ds.data) ? ds.data.slice() : ds.data,
      hidden: !chart.isDatasetVisible(i),
      // Without a segment option Chart.js strokes lines through a Path2D (ctx.stroke(path)),
      // which svgcanvas cannot read: it strokes its own last path instead and the line is lost.
      // With one, Chart.js draws the line with plain moveTo/lineTo/bezierCurveTo calls.
      segment: ds.segment || {},
    })),
  };
  const copy = new Chart(ctx, {
    type: src.type,
    data,
    // BasicPlatform: no DOM canvas, no event listeners, no resize observer.
    platform: Chart.BasicPlatform,
    plugins: src.plugins ? src.plugins.slice() : [],
    options: { ...src.options, animation: false, responsive: false, devicePixelRatio: 1, events: [] },
  });
  try {
    // Slices hidden through the legend (pie, doughnut, polar area) live outside the config.
    const labels = chart.data.labels || [];
    let hiddenSlices = false;
    for (let i = 0; i < labels.length; i++) {
      if (!chart.getDataVisibility(i)) {
        copy.toggleDataVisibility(i);
        hiddenSlices = true;
      }
    }
    if (hiddenSlices) copy.update();

    const svg = ctx.getSvg();
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const background = document.createElementNS(SVG_NS, 'rect');
    background.setAttribute('width', '100%');
    background.setAttribute('height', '100%');
    background.setAttribute('fill', '#ffffff');
    // After <defs>, before the drawing: the root's second child is svgcanvas's drawing group.
    svg.insertBefore(background, svg.childNodes[1]);
    // Serialise before destroy(): destroying clears the context, i.e. empties the SVG.
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ctx.getSerializedSvg(true);
  } finally {
    copy.destroy();
  }
}

/** Saves the chart as `filename` ('png' or 'svg'). */
export async function downloadChart(chart, format, filename = `chart.${format}`) {
  let blob;
  if (format === 'png') blob = await chartToPngBlob(chart);
  else if (format === 'svg') blob = new Blob([chartToSvg(chart)], { type: 'image/svg+xml;charset=utf-8' });
  else throw new Error(`unknown chart export format: ${format}`);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; give it a moment.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// svgcanvas reads each text's font by setting a span's style *attribute*, which our CSP
// (style-src 'self', no 'unsafe-inline') refuses, with a console error per label, and every label
// then comes out in the SVG default 16px serif. This is svgcanvas 2.6's own __applyText, except
// that it parses the font through the CSSOM (style.font = ...), which the CSP allows.
const ANCHOR = { left: 'start', right: 'end', center: 'middle', start: 'start', end: 'end' };
const BASELINE = { alphabetic: 'alphabetic', hanging: 'hanging', top: 'text-before-edge', bottom: 'text-after-edge', middle: 'central' };

function parseFontsWithCssom(ctx) {
  const probe = document.createElement('span');
  ctx.__applyText = function (text, x, y, action) {
    probe.style.font = this.font;
    const font = probe.style;
    const parent = this.__closestGroupOrSvg();
    const el = this.__createElement('text', {
      'font-family': font.fontFamily,
      'font-size': font.fontSize,
      'font-style': font.fontStyle,
      'font-weight': font.fontWeight,
      x,
      y,
      'text-anchor': ANCHOR[this.textAlign] || 'start',
      'dominant-baseline': BASELINE[this.textBaseline] || 'alphabetic',
    }, true);
    el.appendChild(document.createTextNode(text));
    this.__currentElement = el;
    this.__applyTransformation(el);
    this.__applyStyleToCurrentElement(action);
    parent.appendChild(el);
  };
}
