/**
 * Just enough Markdown for model cards (headings, lists, tables, paragraphs, `code`, **bold**),
 * parsed into plain data that components render as elements: no HTML strings, nothing to escape.
 */
export interface Span {
  text: string;
  code?: boolean;
  bold?: boolean;
}

export type Block =
  | { kind: 'heading'; level: number; spans: Span[] }
  | { kind: 'list'; items: Span[][] }
  | { kind: 'table'; header: Span[][]; rows: Span[][][]; align: ('left' | 'right')[] }
  | { kind: 'paragraph'; spans: Span[] };

export function inline(text: string): Span[] {
  const spans: Span[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index! > last) spans.push({ text: text.slice(last, m.index) });
    spans.push(m[1] !== undefined ? { text: m[1], code: true } : { text: m[2]!, bold: true });
    last = m.index! + m[0].length;
  }
  if (last < text.length) spans.push({ text: text.slice(last) });
  return spans;
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]!.length, spans: inline(heading[2]!) });
      i++;
    } else if (/^\s*[-*]\s+/.test(line)) {
      const items: Span[][] = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i]!)) items.push(inline(lines[i++]!.replace(/^\s*[-*]\s+/, '')));
      blocks.push({ kind: 'list', items });
    } else if (line.trim().startsWith('|') && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? '')) {
      const header = cells(line).map(inline);
      const align = cells(lines[i + 1]!).map((c) => (c.endsWith(':') ? 'right' : 'left') as 'left' | 'right');
      i += 2;
      const rows: Span[][][] = [];
      while (i < lines.length && lines[i]!.trim().startsWith('|')) rows.push(cells(lines[i++]!).map(inline));
      blocks.push({ kind: 'table', header, rows, align });
    } else {
      const text: string[] = [];
      while (i < lines.length && lines[i]!.trim() && !/^(#{1,6}\s|\s*[-*]\s|\s*\|)/.test(lines[i]!)) text.push(lines[i++]!.trim());
      if (text.length === 0) text.push(lines[i++]!.trim());
      blocks.push({ kind: 'paragraph', spans: inline(text.join(' ')) });
    }
  }
  return blocks;
}
