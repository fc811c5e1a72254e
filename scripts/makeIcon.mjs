#!/usr/bin/env node
// Draws media/icon.png (128x128 RGBA): a dark rounded square with four parallel bars, staggered like a Gantt
// chart of tasks running side by side on engines. Plain Node (zlib for the PNG), 4x4 supersampling for smooth
// edges. Usage: node scripts/makeIcon.mjs [out.png]
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SS = 4; // samples per axis per pixel

/** Inside a rounded rectangle [x0,x1]x[y0,y1] with corner radius r. */
function inRoundRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);

// Background: a deep slate, a little lighter at the top.
const BG_TOP = hex('#26324a');
const BG_BOTTOM = hex('#141b2b');
// Bars: Jupyter orange and three calmer blues; [x, y, length, colour].
const BARS = [
  [24, 28, 58, hex('#f37726')],
  [44, 50, 60, hex('#5fa8e8')],
  [24, 72, 44, hex('#3d86d6')],
  [56, 94, 48, hex('#2f6bb3')],
];
const BAR_H = 12;

/** Colour and coverage of one sample point (in pixel units). */
function sample(x, y) {
  if (!inRoundRect(x, y, 4, 4, SIZE - 4, SIZE - 4, 26)) return null;
  for (const [bx, by, len, colour] of BARS) {
    if (inRoundRect(x, y, bx, by, bx + len, by + BAR_H, BAR_H / 2)) return colour;
  }
  return mix(BG_TOP, BG_BOTTOM, y / SIZE);
}

function render() {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const acc = [0, 0, 0];
      let hits = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
          if (!c) continue;
          hits++;
          for (let i = 0; i < 3; i++) acc[i] += c[i];
        }
      }
      const o = (py * SIZE + px) * 4;
      if (hits) for (let i = 0; i < 3; i++) rgba[o + i] = Math.round(acc[i] / hits);
      rgba[o + 3] = Math.round((255 * hits) / (SS * SS));
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function iconPng() {
  const rgba = render();
  const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let y = 0; y < SIZE; y++) rgba.copy(rows, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4); // filter 0
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = process.argv[2] ?? join(resolve(fileURLToPath(import.meta.url), '..', '..'), 'media', 'icon.png');
writeFileSync(out, iconPng());
console.log(`wrote ${out}`);
