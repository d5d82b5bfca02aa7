// Baked badges (OB 3.0 §5.3 "Baking"): the credential travels inside the image. PNG: an iTXt chunk
// with keyword "openbadgecredential"; SVG: an <openbadges:credential> element in the
// https://purl.imsglobal.org/ob/v3p0 namespace. A VC-JWT goes in whole (SVG: `verify` attribute).
import encode from 'png-chunks-encode';
import extract from 'png-chunks-extract';

const KEYWORD = 'openbadgecredential';

export function bakePng(png: Uint8Array, credential: string): Uint8Array {
  const chunks = extract(png).filter((c) => !(c.name === 'iTXt' && readKeyword(c.data) === KEYWORD));
  // keyword, NUL, compression flag 0, compression method 0, empty language tag NUL, empty translated keyword NUL, text
  const data = Buffer.concat([Buffer.from(KEYWORD, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(credential, 'utf8')]);
  const iend = chunks.findIndex((c) => c.name === 'IEND');
  chunks.splice(iend < 0 ? chunks.length : iend, 0, { name: 'iTXt', data });
  return encode(chunks);
}

/** The credential baked into a PNG, or null. */
export function unbakePng(png: Uint8Array): string | null {
  const chunk = extract(png).find((c) => c.name === 'iTXt' && readKeyword(c.data) === KEYWORD);
  if (!chunk) return null;
  const d = Buffer.from(chunk.data);
  let at = KEYWORD.length + 3; // keyword NUL, compression flag, method
  at = d.indexOf(0, at) + 1; // language tag
  at = d.indexOf(0, at) + 1; // translated keyword
  return d.subarray(at).toString('utf8');
}

function readKeyword(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return Buffer.from(data.subarray(0, nul < 0 ? 0 : nul)).toString('latin1');
}

export function bakeSvg(svg: string, credential: string): string {
  const open = /<svg\b[^>]*>/i.exec(svg);
  if (!open) throw new Error('not an SVG document');
  let tag = open[0];
  const selfClosing = /\/\s*>$/.test(tag);
  if (selfClosing) tag = tag.replace(/\s*\/\s*>$/, '>'); // an empty root gets a body for the credential
  if (!/xmlns:openbadges=/.test(tag)) tag = tag.replace(/<svg\b/i, '<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"');
  const element = credential.trimStart().startsWith('{')
    ? `<openbadges:credential><![CDATA[${credential.replace(/]]>/g, ']]]]><![CDATA[>')}]]></openbadges:credential>`
    : `<openbadges:credential verify="${credential.replace(/[&"<]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;' })[c]!)}"></openbadges:credential>`;
  const withoutOld = svg.replace(/<openbadges:credential\b[\s\S]*?(<\/openbadges:credential>|\/>)/g, '');
  const start = withoutOld.indexOf(open[0]);
  return withoutOld.slice(0, start) + tag + '\n' + element + (selfClosing ? '\n</svg>' : '') + withoutOld.slice(start + open[0].length);
}

/** The credential baked into an SVG (JWT from `verify`, or the JSON text), or null. */
export function unbakeSvg(svg: string): string | null {
  const verify = /<openbadges:credential\b[^>]*\bverify="([^"]+)"/.exec(svg);
  if (verify) return verify[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
  const element = /<openbadges:credential\b[^>]*>([\s\S]*?)<\/openbadges:credential>/.exec(svg);
  if (!element) return null;
  // A "]]>" inside the credential splits it over several CDATA sections: join them again.
  const sections = [...element[1]!.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((m) => m[1]);
  return sections.length ? sections.join('') : null;
}

/** A badge without an image gets its initials on a medal, coloured from its id. */
export function defaultBadgeSvg(name: string, seed: string): string {
  const initials = name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('').replace(/[^A-Z0-9]/g, '') || 'B';
  const hue = parseInt(seed.replace(/-/g, '').slice(0, 6), 16) % 360;
  const label = name.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img" aria-label="${label}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},70%,35%)"/></linearGradient></defs>
<path d="M140 300 L110 390 L200 350 L290 390 L260 300Z" fill="hsl(${hue},45%,30%)"/>
<circle cx="200" cy="180" r="150" fill="url(#g)"/><circle cx="200" cy="180" r="120" fill="none" stroke="#fff" stroke-opacity=".6" stroke-width="6"/>
<text x="200" y="215" text-anchor="middle" font-family="system-ui,Segoe UI,Arial,sans-serif" font-size="110" font-weight="700" fill="#fff">${initials}</text>
</svg>`;
}
