/**
 * The page formats of the field: ALTO v4 (eScriptorium's export) and PAGE XML 2019 (Transkribus,
 * Kraken). Both become one structure: a page with its image, text regions, and lines with their
 * polygon, baseline and text. Coordinates are pixels of the page image.
 */
import { XMLParser } from 'fast-xml-parser';
import type { Point } from '../image/gray.ts';
import { DatasetError } from './files.ts';

export type { Point };

export interface TextLine {
  id: string;
  /** The line's outline, at least three points (a box when the file gives only a box). */
  polygon: Point[];
  /** Left to right along the foot of the letters; empty when the file has none. */
  baseline: Point[];
  text: string;
  /** How sure the reader was of the text (0..1), when a recogniser wrote it. */
  confidence?: number;
}

export interface TextRegion {
  id: string;
  polygon: Point[];
  lines: TextLine[];
}

export interface PageDocument {
  /** The image file the coordinates belong to, as the XML names it. */
  imageFile: string;
  width: number;
  height: number;
  regions: TextRegion[];
}

export type PageFormat = 'alto' | 'page';

const ARRAYS = new Set(['Page', 'PrintSpace', 'TextBlock', 'TextLine', 'String', 'SP', 'TextRegion', 'TextEquiv']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  // eScriptorium writes apostrophes as &#x27;: numeric references are characters, not text.
  htmlEntities: true,
  isArray: (name) => ARRAYS.has(name),
});

type Node = Record<string, unknown>;

/** Reads an ALTO v4 or PAGE XML file's text; `source` names it in errors. */
export function readPageXml(xml: string, source: string): { format: PageFormat; page: PageDocument } {
  let root: Node;
  try {
    root = parser.parse(xml, true) as Node;
  } catch (err) {
    throw new DatasetError(source, `not well-formed XML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  if (root.alto) return { format: 'alto', page: readAlto(root.alto as Node, source) };
  if (root.PcGts) return { format: 'page', page: readPage(root.PcGts as Node, source) };
  throw new DatasetError(source, `neither ALTO nor PAGE XML (root element ${Object.keys(root).find((k) => k !== '?xml') ?? 'missing'})`);
}

function readAlto(alto: Node, source: string): PageDocument {
  const layout = alto.Layout as Node | undefined;
  const page = (layout?.Page as Node[] | undefined)?.[0];
  if (!page) throw new DatasetError(source, 'ALTO file without Layout/Page');
  const description = alto.Description as Node | undefined;
  const imageInfo = description?.sourceImageInformation as Node | undefined;
  const blocks = [page, ...((page.PrintSpace as Node[] | undefined) ?? [])].flatMap((n) => (n.TextBlock as Node[] | undefined) ?? []);
  const regions = blocks.map((block, b): TextRegion => {
    const id = attr(block, 'ID') || `block_${b + 1}`;
    const lines = ((block.TextLine as Node[] | undefined) ?? []).map((line, l): TextLine => {
      const lineId = attr(line, 'ID') || `${id}_line_${l + 1}`;
      const where = { file: source, what: `line ${lineId}` };
      const polygon = shapeOf(line, where);
      const text = ((line.String as Node[] | undefined) ?? []).map((s) => attr(s, 'CONTENT')).join(' ');
      return { id: lineId, polygon, baseline: points(attr(line, 'BASELINE'), where), text };
    });
    return { id, polygon: shapeOf(block, { file: source, what: `block ${id}` }, true), lines };
  });
  return {
    imageFile: text(imageInfo?.fileName),
    width: dimension(page, 'WIDTH', source),
    height: dimension(page, 'HEIGHT', source),
    regions,
  };
}

function readPage(pcgts: Node, source: string): PageDocument {
  const page = (pcgts.Page as Node[] | undefined)?.[0];
  if (!page) throw new DatasetError(source, 'PAGE file without a Page element');
  const regions: TextRegion[] = [];
  const visit = (region: Node, index: number) => {
    const id = attr(region, 'id') || `region_${index + 1}`;
    const lines = ((region.TextLine as Node[] | undefined) ?? []).map((line, l): TextLine => {
      const lineId = attr(line, 'id') || `${id}_line_${l + 1}`;
      const where = { file: source, what: `line ${lineId}` };
      return {
        id: lineId,
        polygon: points(attr(line.Coords as Node, 'points'), where, 3),
        baseline: points(attr(line.Baseline as Node, 'points'), where),
        text: firstEquiv(line.TextEquiv as Node[] | undefined),
      };
    });
    regions.push({ id, polygon: points(attr(region.Coords as Node, 'points'), { file: source, what: `region ${id}` }), lines });
    ((region.TextRegion as Node[] | undefined) ?? []).forEach(visit);
  };
  ((page.TextRegion as Node[] | undefined) ?? []).forEach(visit);
  return { imageFile: attr(page, 'imageFilename'), width: dimension(page, 'imageWidth', source), height: dimension(page, 'imageHeight', source), regions };
}

/** PAGE allows several readings of a line; the one with the lowest index is the transcription. */
function firstEquiv(equivs: Node[] | undefined): string {
  if (!equivs?.length) return '';
  const ranked = [...equivs].sort((a, b) => Number(attr(a, 'index') || 0) - Number(attr(b, 'index') || 0));
  return text(ranked[0]!.Unicode);
}

/** Where in which file, for errors. */
type Where = { file: string; what: string };

function shapeOf(node: Node, where: Where, optional = false): Point[] {
  const polygon = ((node.Shape as Node | undefined)?.Polygon as Node | undefined) ?? undefined;
  if (polygon) return points(attr(polygon, 'POINTS'), where, 3);
  const [x, y, w, h] = ['HPOS', 'VPOS', 'WIDTH', 'HEIGHT'].map((k) => Number(attr(node, k)));
  if ([x, y, w, h].every((v) => Number.isFinite(v)) && attr(node, 'WIDTH') !== '') {
    return [
      { x: x!, y: y! },
      { x: x! + w!, y: y! },
      { x: x! + w!, y: y! + h! },
      { x: x!, y: y! + h! },
    ];
  }
  if (optional) return [];
  throw new DatasetError(where.file, `${where.what} has neither a polygon nor a box`);
}

/** "x y x y ..." (ALTO) or "x,y x,y ..." (PAGE, and ALTO 4.2's alternative). */
function points(value: string, { file, what }: Where, least = 0): Point[] {
  const numbers =
    value.trim() === ''
      ? []
      : value
          .trim()
          .split(/[\s,]+/)
          .map(Number);
  if (numbers.length % 2 !== 0 || numbers.some((n) => !Number.isFinite(n))) throw new DatasetError(file, `${what}: bad coordinates '${value.slice(0, 60)}'`);
  const out: Point[] = [];
  for (let i = 0; i < numbers.length; i += 2) out.push({ x: numbers[i]!, y: numbers[i + 1]! });
  if (out.length < least) throw new DatasetError(file, `${what}: a polygon needs at least ${least} points, found ${out.length}`);
  return out;
}

function attr(node: Node | undefined, name: string): string {
  const v = node?.[name];
  return typeof v === 'string' ? v : '';
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string') return (v as Node)['#text'] as string;
  return '';
}

function dimension(node: Node, name: string, source: string): number {
  const v = Number(attr(node, name));
  if (!(v > 0) || !Number.isInteger(v)) throw new DatasetError(source, `the page's ${name} is '${attr(node, name)}', expected a whole number of pixels`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Writers

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const altoPoints = (ps: readonly Point[]) => ps.map((p) => `${round(p.x)} ${round(p.y)}`).join(' ');
const pagePoints = (ps: readonly Point[]) => ps.map((p) => `${round(p.x)},${round(p.y)}`).join(' ');
const round = (v: number) => Math.round(v * 100) / 100;

function box(ps: readonly Point[]): string {
  if (!ps.length) return 'HPOS="0" VPOS="0" WIDTH="0" HEIGHT="0"';
  const xs = ps.map((p) => p.x);
  const ys = ps.map((p) => p.y);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  return `HPOS="${round(x0)}" VPOS="${round(y0)}" WIDTH="${round(Math.max(...xs) - x0)}" HEIGHT="${round(Math.max(...ys) - y0)}"`;
}

/** ALTO v4: one String per line, as eScriptorium writes it. */
export function writeAlto(page: PageDocument): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '      xsi:schemaLocation="http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/standards/alto/v4/alto-4-2.xsd">',
    '  <Description>',
    '    <MeasurementUnit>pixel</MeasurementUnit>',
    `    <sourceImageInformation><fileName>${escape(page.imageFile)}</fileName></sourceImageInformation>`,
    '  </Description>',
    '  <Layout>',
    `    <Page ID="page_1" WIDTH="${page.width}" HEIGHT="${page.height}" PHYSICAL_IMG_NR="1">`,
    `      <PrintSpace HPOS="0" VPOS="0" WIDTH="${page.width}" HEIGHT="${page.height}">`,
  ];
  for (const region of page.regions) {
    out.push(`        <TextBlock ID="${escape(region.id)}" ${box(region.polygon.length ? region.polygon : region.lines.flatMap((l) => l.polygon))}>`);
    if (region.polygon.length) out.push(`          <Shape><Polygon POINTS="${altoPoints(region.polygon)}"/></Shape>`);
    for (const line of region.lines) {
      const baseline = line.baseline.length ? ` BASELINE="${altoPoints(line.baseline)}"` : '';
      out.push(`          <TextLine ID="${escape(line.id)}" ${box(line.polygon)}${baseline}>`);
      out.push(`            <Shape><Polygon POINTS="${altoPoints(line.polygon)}"/></Shape>`);
      const wc = line.confidence !== undefined ? ` WC="${line.confidence.toFixed(4)}"` : '';
      out.push(`            <String CONTENT="${escape(line.text)}" ${box(line.polygon)}${wc}/>`);
      out.push('          </TextLine>');
    }
    out.push('        </TextBlock>');
  }
  out.push('      </PrintSpace>', '    </Page>', '  </Layout>', '</alto>', '');
  return out.join('\n');
}

/** PAGE XML 2019-07-15. */
export function writePageXml(page: PageDocument, created = new Date()): string {
  const stamp = created.toISOString().replace(/\.\d+Z$/, '');
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '       xsi:schemaLocation="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15 http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15/pagecontent.xsd">',
    `  <Metadata><Creator>hwr</Creator><Created>${stamp}</Created><LastChange>${stamp}</LastChange></Metadata>`,
    `  <Page imageFilename="${escape(page.imageFile)}" imageWidth="${page.width}" imageHeight="${page.height}">`,
  ];
  for (const region of page.regions) {
    const outline = region.polygon.length ? region.polygon : hull(region.lines.flatMap((l) => l.polygon));
    out.push(`    <TextRegion id="${escape(region.id)}">`, `      <Coords points="${pagePoints(outline)}"/>`);
    for (const line of region.lines) {
      out.push(`      <TextLine id="${escape(line.id)}">`, `        <Coords points="${pagePoints(line.polygon)}"/>`);
      if (line.baseline.length) out.push(`        <Baseline points="${pagePoints(line.baseline)}"/>`);
      const conf = line.confidence !== undefined ? ` conf="${line.confidence.toFixed(4)}"` : '';
      out.push(`        <TextEquiv${conf}><Unicode>${escape(line.text)}</Unicode></TextEquiv>`, '      </TextLine>');
    }
    out.push('    </TextRegion>');
  }
  out.push('  </Page>', '</PcGts>', '');
  return out.join('\n');
}

/** The bounding rectangle of some points, as a polygon (PAGE requires a region outline). */
function hull(ps: readonly Point[]): Point[] {
  if (!ps.length) return [];
  const xs = ps.map((p) => p.x);
  const ys = ps.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return [
    { x: x0, y: y0 },
    { x: x1, y: y0 },
    { x: x1, y: y1 },
    { x: x0, y: y1 },
  ];
}
