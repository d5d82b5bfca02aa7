// Baked badges (OB 3.0 "Baking"): the credential inside a PNG iTXt chunk or an SVG
// <openbadges:credential> element. Checked against the 1EdTech validator's own baked test files
// (from shared/conformance, read in place) and with a PNG chunk reader and CRC-32 of our own, so
// a mistake in the PNG libraries the code uses would show here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bakePng, bakeSvg, unbakePng, unbakeSvg } from '../../src/credentials/index.js';
import { CONFORMANCE } from '../support/ob3.js';

const OB30 = path.join(CONFORMANCE, '1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30');
const readBytes = (name: string) => new Uint8Array(readFileSync(path.join(OB30, name)));
const readText = (name: string) => readFileSync(path.join(OB30, name), 'utf8');

const OB_NS = 'https://purl.imsglobal.org/ob/v3p0';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// ---- an independent PNG reader -------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk { type: string; data: Buffer; crc: number; crcOk: boolean }

function readChunks(png: Uint8Array): Chunk[] {
  const b = Buffer.from(png);
  expect([...b.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < b.length) {
    const length = b.readUInt32BE(at);
    const typeAndData = b.subarray(at + 4, at + 8 + length);
    const crc = b.readUInt32BE(at + 8 + length);
    chunks.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: Buffer.from(typeAndData.subarray(4)), crc, crcOk: crc32(typeAndData) === crc });
    at += 12 + length;
  }
  expect(at).toBe(b.length); // no trailing garbage, no truncated chunk
  return chunks;
}

/** iTXt: keyword NUL flag method language NUL translated NUL text (PNG spec 11.3.4.5). */
function parseITxt(data: Buffer) {
  const k = data.indexOf(0);
  const keyword = data.subarray(0, k).toString('latin1');
  const compressed = data[k + 1];
  const method = data[k + 2];
  const l = data.indexOf(0, k + 3);
  const language = data.subarray(k + 3, l).toString('latin1');
  const t = data.indexOf(0, l + 1);
  const translated = data.subarray(l + 1, t).toString('utf8');
  const raw = data.subarray(t + 1);
  return { keyword, compressed, method, language, translated, text: (compressed ? inflateSync(raw) : raw).toString('utf8') };
}

const credentialChunks = (png: Uint8Array) => readChunks(png).filter((c) => c.type === 'iTXt' && parseITxt(c.data).keyword === 'openbadgecredential');

function chunkBytes(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([len, typeAndData, crc]);
}

/** A real 3x2 RGB PNG, built by hand: signature, IHDR, IDAT (zlib), IEND. */
function smallPng(): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(3, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  return new Uint8Array(Buffer.concat([Buffer.from(PNG_SIGNATURE), chunkBytes('IHDR', ihdr), chunkBytes('IDAT', deflateSync(rows)), chunkBytes('IEND', Buffer.alloc(0))]));
}

// A JWT-shaped credential (the baking code treats it as opaque text).
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const JWT = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'https://badges.example/ob/keys/k1' })}.${b64({ id: 'https://badges.example/ob/credentials/1', name: 'Teamwork — équipe' })}.c2lnbmF0dXJl`;
const OTHER_JWT = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ id: 'https://badges.example/ob/credentials/2' })}.b3RoZXI`;

// ---- independent readers of the validator's SVG files ----------------------------------------

function verifyAttributeOf(svg: string): string {
  const el = svg.indexOf('<openbadges:credential');
  const start = svg.indexOf('verify="', el) + 'verify="'.length;
  return svg.slice(start, svg.indexOf('"', start));
}

function cdataOf(svg: string): string {
  const el = svg.indexOf('<openbadges:credential');
  const start = svg.indexOf('<![CDATA[', el) + '<![CDATA['.length;
  return svg.slice(start, svg.indexOf(']]>', start));
}

const count = (s: string, needle: string) => s.split(needle).length - 1;

describe('PNG baking', () => {
  it('replaces the credential already baked into the validator\'s PNG: one iTXt, valid CRCs, image untouched', () => {
    const original = readBytes('simple-jwt.png');
    const before = readChunks(original);
    expect(credentialChunks(original)).toHaveLength(1);
    expect(parseITxt(credentialChunks(original)[0]!.data).text).not.toBe(JWT);

    const baked = bakePng(original, JWT);
    const after = readChunks(baked);
    for (const c of after) expect(c.crcOk, `CRC of ${c.type}`).toBe(true);

    const creds = credentialChunks(baked);
    expect(creds).toHaveLength(1);
    const itxt = parseITxt(creds[0]!.data);
    expect(itxt).toMatchObject({ keyword: 'openbadgecredential', compressed: 0, method: 0, language: '', translated: '', text: JWT });
    expect(unbakePng(baked)).toBe(JWT);

    // Every other chunk is kept as it was, in order, and IEND stays last.
    const others = (cs: Chunk[]) => cs.filter((c) => !(c.type === 'iTXt' && parseITxt(c.data).keyword === 'openbadgecredential')).map((c) => `${c.type}:${c.data.toString('base64')}`);
    expect(others(after)).toEqual(others(before));
    expect(after.at(-1)!.type).toBe('IEND');
    expect(after.findIndex((c) => c.type === 'iTXt')).toBeGreaterThan(after.findIndex((c) => c.type === 'IDAT'));
  });

  it('bakes into a PNG without a credential, before IEND, and the pixels still decode', () => {
    const png = smallPng();
    for (const c of readChunks(png)) expect(c.crcOk).toBe(true); // the builder itself is right
    expect(unbakePng(png)).toBeNull();

    const baked = bakePng(png, JWT);
    const chunks = readChunks(baked);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'iTXt', 'IEND']);
    for (const c of chunks) expect(c.crcOk, `CRC of ${c.type}`).toBe(true);
    expect(inflateSync(chunks[1]!.data)).toEqual(inflateSync(readChunks(png)[1]!.data));
    expect(unbakePng(baked)).toBe(JWT);

    // Baking again replaces, never adds.
    const twice = bakePng(baked, OTHER_JWT);
    expect(credentialChunks(twice)).toHaveLength(1);
    expect(unbakePng(twice)).toBe(OTHER_JWT);
    expect(twice.length - baked.length).toBe(OTHER_JWT.length - JWT.length);
  });

  it('keeps non-ASCII text intact (UTF-8 in iTXt)', () => {
    const text = JSON.stringify({ name: 'Ingénierie des données — 数据' });
    expect(unbakePng(bakePng(smallPng(), text))).toBe(text);
  });

  it('unbakes the validator\'s simple-jwt.png and simple-json.png as their iTXt text reads', () => {
    for (const name of ['simple-jwt.png', 'simple-json.png']) {
      const png = readBytes(name);
      const chunks = credentialChunks(png);
      expect(chunks, name).toHaveLength(1);
      const expected = parseITxt(chunks[0]!.data).text;
      expect(expected.length).toBeGreaterThan(100);
      expect(unbakePng(png)).toBe(expected);
    }
    const jwt = unbakePng(readBytes('simple-jwt.png'))!;
    expect(jwt.split('.')).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(JSON.stringify(payload)).toContain('OpenBadgeCredential');
  });
});

describe('SVG baking', () => {
  const plain = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#123"/></svg>';

  it('adds the namespace to the root and the credential as a verify attribute inside it', () => {
    const baked = bakeSvg(plain, JWT);
    const root = /<svg\b[^>]*>/.exec(baked)![0];
    expect(root).toContain(`xmlns:openbadges="${OB_NS}"`);
    expect(root).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(root).toContain('viewBox="0 0 10 10"');
    expect(count(baked, 'xmlns:openbadges=')).toBe(1);
    const el = baked.indexOf(`<openbadges:credential verify="${JWT}"`);
    expect(el).toBeGreaterThan(baked.indexOf(root));
    expect(el).toBeLessThan(baked.lastIndexOf('</svg>'));
    expect(baked.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(baked).toContain('<circle cx="5" cy="5" r="4" fill="#123"/>');
    expect(unbakeSvg(baked)).toBe(JWT);
    expect(unbakeSvg(plain)).toBeNull();
  });

  it('puts a JSON credential in CDATA and reads it back', () => {
    const json = JSON.stringify({ '@context': ['https://www.w3.org/ns/credentials/v2'], id: 'urn:uuid:1', name: 'R&D <team> "badge"' }, null, 2);
    const baked = bakeSvg(plain, json);
    expect(baked).toContain(`<openbadges:credential><![CDATA[${json}]]></openbadges:credential>`);
    expect(baked).not.toContain('verify=');
    expect(unbakeSvg(baked)).toBe(json);
  });

  it('round-trips a JSON credential whose text contains "]]>" (split CDATA sections)', () => {
    const json = JSON.stringify({ name: 'Arrays a[b[0]]>c' });
    expect(json).toContain(']]>');
    expect(unbakeSvg(bakeSvg(plain, json))).toBe(json);
  });

  it('replaces an earlier credential instead of adding a second one or a second namespace', () => {
    const once = bakeSvg(plain, JWT);
    const twice = bakeSvg(once, OTHER_JWT);
    expect(count(twice, '<openbadges:credential')).toBe(1);
    expect(count(twice, 'xmlns:openbadges=')).toBe(1);
    expect(unbakeSvg(twice)).toBe(OTHER_JWT);

    const validator = readText('simple-jwt.svg');
    const rebaked = bakeSvg(validator, JWT);
    expect(count(rebaked, '<openbadges:credential')).toBe(1);
    expect(count(rebaked, 'xmlns:openbadges=')).toBe(1);
    expect(unbakeSvg(rebaked)).toBe(JWT);
    expect(rebaked).not.toContain(verifyAttributeOf(validator));
  });

  it('escapes what could end the verify attribute', () => {
    const odd = 'a"b&c<d';
    const baked = bakeSvg(plain, odd);
    expect(baked).toContain('verify="a&quot;b&amp;c&lt;d"');
    expect(unbakeSvg(baked)).toBe(odd);
  });

  it('unbakes the validator\'s simple-jwt.svg (verify attribute) and simple-json.svg (CDATA)', () => {
    const jwtSvg = readText('simple-jwt.svg');
    const expectedJwt = verifyAttributeOf(jwtSvg);
    expect(expectedJwt.split('.')).toHaveLength(3);
    expect(unbakeSvg(jwtSvg)).toBe(expectedJwt);

    const jsonSvg = readText('simple-json.svg');
    const expectedJson = JSON.parse(cdataOf(jsonSvg));
    expect(expectedJson.type).toContain('OpenBadgeCredential');
    expect(JSON.parse(unbakeSvg(jsonSvg)!)).toEqual(expectedJson);
  });
});

describe('SVG baking of an empty root', () => {
  it('gives a self-closing <svg/> a body, so the credential stays inside the root element', () => {
    const baked = bakeSvg('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 'aaa.bbb.ccc');
    expect(baked).toMatch(/^<svg xmlns:openbadges="https:\/\/purl\.imsglobal\.org\/ob\/v3p0" xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="10" height="10">\n<openbadges:credential verify="aaa\.bbb\.ccc"><\/openbadges:credential>\n<\/svg>$/);
    expect(unbakeSvg(baked)).toBe('aaa.bbb.ccc');
  });
});
