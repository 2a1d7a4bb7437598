/**
 * A character n-gram language model for decoding lines: how likely each next character is
 * after the few before it. Witten–Bell interpolation (each order backs off to the shorter
 * context in proportion to how many different characters that context has been seen with), so
 * unseen characters keep a small probability and the model is a true distribution.
 */

/** The counts of a text's contexts, shortest first (CharLm.context). */
export type LmContext = { row: ReadonlyMap<string, number>; total: number }[];

/** Context marker for the start of a line. */
const START = '\u0002';

export class CharLm {
  /** context → (next character → count); contexts of length 0..order-1. */
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly totals = new Map<string, number>();
  private readonly vocabulary = new Set<string>();

  constructor(readonly order = 6) {
    if (!Number.isInteger(order) || order < 1 || order > 12) throw new RangeError(`CharLm: order must be 1..12, got ${order}`);
  }

  /** Adds texts (lines or words, each read from its start). */
  train(texts: Iterable<string>): this {
    for (const text of texts) {
      const chars = [...START.repeat(this.order - 1), ...text];
      for (let i = this.order - 1; i < chars.length; i++) {
        const next = chars[i]!;
        this.vocabulary.add(next);
        for (let n = 0; n < this.order; n++) {
          const context = chars.slice(i - n, i).join('');
          let row = this.counts.get(context);
          if (!row) this.counts.set(context, (row = new Map()));
          row.set(next, (row.get(next) ?? 0) + 1);
          this.totals.set(context, (this.totals.get(context) ?? 0) + 1);
        }
      }
    }
    return this;
  }

  /** log P(next | the text before it), natural log. */
  logProb(before: string, next: string): number {
    return this.logProbAfter(this.context(before), next);
  }

  /**
   * What the model knows of the text before a character: its rows from the empty context to the
   * longest one seen. Made once, it serves every next character (a decoder asks for many).
   */
  context(before: string): LmContext {
    // Only the end of the text matters: spread a few code units, not the whole line.
    const tail = before.slice(-(2 * (this.order - 1) + 1));
    const chars = [...START.repeat(this.order - 1), ...tail].slice(-(this.order - 1));
    const rows: LmContext = [];
    for (let n = 0; n <= chars.length; n++) {
      const context = chars.slice(chars.length - n).join('');
      const row = this.counts.get(context);
      if (!row) break;
      rows.push({ row, total: this.totals.get(context)! });
    }
    return rows;
  }

  /** log P(next | a context from `context`), natural log. */
  logProbAfter(context: LmContext, next: string): number {
    // Uniform over the vocabulary and one unseen character, then each longer context on top.
    let p = 1 / (this.vocabulary.size + 1);
    for (const { row, total } of context) {
      const lambda = total / (total + row.size);
      p = lambda * ((row.get(next) ?? 0) / total) + (1 - lambda) * p;
    }
    return Math.log(p);
  }

  /** Contexts stored, for the model card. */
  get size(): number {
    return this.counts.size;
  }

  /**
   * As compact JSON (a line model carries it in its file): each context with its next characters
   * and counts. Contexts seen fewer than `minCount` times are left out; decoding then backs off
   * to their shorter contexts, as for any unseen one.
   */
  serialize(minCount = 2): string {
    const rows: [string, string, number[]][] = [];
    for (const [context, row] of this.counts) {
      if (context.length > 1 && this.totals.get(context)! < minCount) continue;
      rows.push([context, [...row.keys()].join(''), [...row.values()]]);
    }
    return JSON.stringify({ order: this.order, vocabulary: [...this.vocabulary].join(''), rows });
  }

  static deserialize(json: string): CharLm {
    const data = JSON.parse(json) as { order: number; vocabulary: string; rows: [string, string, number[]][] };
    const lm = new CharLm(data.order);
    for (const c of data.vocabulary) lm.vocabulary.add(c);
    for (const [context, chars, counts] of data.rows) {
      const row = new Map<string, number>();
      [...chars].forEach((c, i) => row.set(c, counts[i]!));
      lm.counts.set(context, row);
      lm.totals.set(
        context,
        counts.reduce((a, b) => a + b, 0),
      );
    }
    return lm;
  }
}
