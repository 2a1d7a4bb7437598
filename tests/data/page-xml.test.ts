import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPageXml, writeAlto, writePageXml, type PageDocument } from '../../app/data/page-xml.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const page: PageDocument = {
  imageFile: 'letter & notes.jpg',
  width: 1275,
  height: 1650,
  regions: [
    {
      id: 'r1',
      polygon: [
        { x: 100, y: 200 },
        { x: 1100, y: 200 },
        { x: 1100, y: 400 },
        { x: 100, y: 400 },
      ],
      lines: [
        {
          id: 'l1',
          polygon: [
            { x: 110, y: 210 },
            { x: 1090, y: 212 },
            { x: 1090, y: 260 },
            { x: 110, y: 258 },
          ],
          baseline: [
            { x: 110, y: 250 },
            { x: 600, y: 251.5 },
            { x: 1090, y: 252 },
          ],
          text: 'Le « château » <de> Frontenac, 1893 & "plus"',
        },
        {
          id: 'l2',
          polygon: [
            { x: 110, y: 270 },
            { x: 900, y: 270 },
            { x: 900, y: 320 },
          ],
          baseline: [],
          text: '',
        },
      ],
    },
  ],
};

describe('ALTO and PAGE XML', () => {
  it('a page written as ALTO reads back the same: lines, polygons, baselines, text with markup characters', () => {
    const back = readPageXml(writeAlto(page), 'x.xml');
    expect(back.format).toBe('alto');
    expect(back.page).toEqual(page);
  });

  it('a page written as PAGE XML reads back the same', () => {
    const back = readPageXml(writePageXml(page), 'x.xml');
    expect(back.format).toBe('page');
    expect(back.page).toEqual(page);
  });

  it('reads PAGE as Transkribus writes it: nested regions, several readings, comma points', () => {
    const xml = `<?xml version="1.0"?><PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
      <Page imageFilename="p.png" imageWidth="100" imageHeight="80">
        <TextRegion id="a"><Coords points="0,0 100,0 100,80 0,80"/>
          <TextLine id="a1"><Coords points="1,1 99,1 99,20 1,20"/><Baseline points="1,18 99,18"/>
            <TextEquiv index="2"><Unicode>second guess</Unicode></TextEquiv><TextEquiv index="1"><Unicode>1984</Unicode></TextEquiv>
          </TextLine>
          <TextRegion id="b"><Coords points="0,40 50,40 50,80"/><TextLine id="b1"><Coords points="1,41 49,41 49,60"/></TextLine></TextRegion>
        </TextRegion>
      </Page></PcGts>`;
    const { page: p } = readPageXml(xml, 'p.xml');
    expect(p.regions.map((r) => r.id)).toEqual(['a', 'b']);
    expect(p.regions[0]!.lines[0]!.text).toBe('1984');
    expect(p.regions[0]!.lines[0]!.baseline).toEqual([
      { x: 1, y: 18 },
      { x: 99, y: 18 },
    ]);
    expect(p.regions[1]!.lines[0]!.text).toBe('');
  });

  it('numeric character references are the characters they name (eScriptorium writes apostrophes so)', () => {
    const xml = writeAlto(page).replace(/CONTENT="[^"]*"/, 'CONTENT="l&#x27;une &amp; l&#39;autre, &#233;t&#xE9;"');
    expect(readPageXml(xml, 'x.xml').page.regions[0]!.lines[0]!.text).toBe("l'une & l'autre, été");
  });

  it('refuses what is not a page, naming the file and the problem', () => {
    expect(() => readPageXml('<alto><Layout>', 'cut.xml')).toThrow(/cut\.xml: not well-formed XML/);
    expect(() => readPageXml('<html><body/></html>', 'web.xml')).toThrow(/web\.xml: neither ALTO nor PAGE XML \(root element html\)/);
    const bad = writeAlto(page).replace('POINTS="110 210', 'POINTS="110 x210');
    expect(() => readPageXml(bad, 'bad.xml')).toThrow(/bad\.xml: line l1: bad coordinates/);
    expect(() => readPageXml(writeAlto(page).replace('WIDTH="1275"', 'WIDTH="wide"'), 'w.xml')).toThrow(/w\.xml: the page's WIDTH is 'wide'/);
  });
});

describe('the Copiste pages (ALTO v4 from eScriptorium)', () => {
  const data = sharedDataForTests();
  it.runIf(data)('all 300 pages read, 5,684 lines, each with an outline and a baseline on the page', () => {
    const dir = join(data!, 'copiste', 'alto');
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    expect(files).toHaveLength(300);
    let lines = 0;
    for (const f of files) {
      const { format, page: p } = readPageXml(readFileSync(join(dir, f), 'utf8'), f);
      expect(format).toBe('alto');
      expect(p.imageFile).toBe(f.replace(/\.xml$/, '.jpg'));
      for (const line of p.regions.flatMap((r) => r.lines)) {
        lines++;
        expect(line.polygon.length).toBeGreaterThanOrEqual(3);
        expect(line.baseline.length).toBeGreaterThanOrEqual(2);
        const outside = [...line.polygon, ...line.baseline].filter((q) => q.x < 0 || q.y < 0 || q.x > p.width || q.y > p.height);
        expect(outside, `${f} ${line.id}`).toEqual([]);
      }
    }
    expect(lines).toBe(5684);
  });
});
