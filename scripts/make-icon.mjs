#!/usr/bin/env node
// Renders assets/icon.svg to assets/icon.png (512×512), the icon electron-builder turns into each
// platform's format. Run after editing the SVG: node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const assets = fileURLToPath(new URL('../assets', import.meta.url));
const svg = readFileSync(`${assets}icon.svg`);
await sharp(svg, { density: 144 }).resize(512, 512).png({ compressionLevel: 9 }).toFile(`${assets}icon.png`);
console.log(`wrote ${assets}icon.png`);
