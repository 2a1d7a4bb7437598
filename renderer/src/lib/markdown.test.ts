import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown.ts';

describe('parseMarkdown (model cards)', () => {
  it('reads headings, lists, tables and paragraphs with inline code', () => {
    const blocks = parseMarkdown(
      '# Course MLP\n\n- Trained by: `hwr train`\n- **Backend**: wasm\n\n| class | acc |\n| --- | ---: |\n| A | 90% |\n\nSome text\nwrapped.',
    );
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'list', 'table', 'paragraph']);
    expect(blocks[1]).toEqual({
      kind: 'list',
      items: [
        [{ text: 'Trained by: ' }, { text: 'hwr train', code: true }],
        [{ text: 'Backend', bold: true }, { text: ': wasm' }],
      ],
    });
    expect(blocks[2]).toMatchObject({ kind: 'table', align: ['left', 'right'], rows: [[[{ text: 'A' }], [{ text: '90%' }]]] });
    expect(blocks[3]).toEqual({ kind: 'paragraph', spans: [{ text: 'Some text wrapped.' }] });
  });

  it('keeps markup as text (nothing becomes HTML)', () => {
    const blocks = parseMarkdown('<script>alert(1)</script>');
    expect(blocks).toEqual([{ kind: 'paragraph', spans: [{ text: '<script>alert(1)</script>' }] }]);
  });
});
