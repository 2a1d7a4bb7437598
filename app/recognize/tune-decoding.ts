/**
 * How a line model's beam search is set, chosen on writers it never trained on: a character
 * n-gram of the training writers' transcriptions, its weight and a bonus per character read
 * chosen together (the n-gram's cost per character makes the beam drop letters without the
 * bonus), then a bonus for each word of the French and English word list at those. Training
 * (app/train/tfjs/line-backend.ts) runs it at its end; `hwr tune-lines` runs it again on a trained
 * model. The model file carries the result (decodingMetadata; line-reader.ts reads it back).
 */
import { cer, lineCounts } from './cer.ts';
import type { Charset } from './charset.ts';
import { CharLm } from './char-lm.ts';
import { beamDecode, type BeamOptions } from './ctc-beam.ts';
import { lineWordList } from './word-list.ts';

/**
 * Width 32 and the bonus per character: the shipped model's validation writers read at 14.29%
 * CER with width 8 and no character bonus, 12.74% with bonus 1.5, 11.99% with width 32 too
 * (2026-12-05). About 20 ms a line of the Copiste pages.
 */
const LM_BEAM = 32;
const LM_ORDER = 5;
const LM_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];
const CHAR_BONUSES = [0, 0.5, 1, 1.5, 2];
/** Bonuses (in log probability) for a word of the word list, tried at the best weight and character bonus. */
const WORD_BONUSES = [0.5, 1, 2, 4];

export interface DecodingTrial {
  weight: number;
  charBonus: number;
  cer: number;
  wer: number;
}

export interface TunedDecoding {
  lm: CharLm;
  beam: number;
  order: number;
  /** Every n-gram weight with every character bonus. */
  tried: DecodingTrial[];
  best: DecodingTrial;
  /** Word bonuses at the best of `tried` (0 first: none). */
  bonuses: { bonus: number; cer: number; wer: number }[];
  bestBonus: { bonus: number; cer: number; wer: number };
}

/**
 * `read`: the model's per-frame probabilities on each validation line, whose transcriptions are
 * `truths`; `trainTexts`: the transcriptions the n-gram learns from.
 */
export function tuneDecoding(
  read: readonly { probs: Float32Array; frames: number }[],
  truths: readonly string[],
  trainTexts: readonly string[],
  charset: Charset,
): TunedDecoding {
  if (read.length !== truths.length || read.length === 0) throw new RangeError(`tuneDecoding: ${read.length} lines read for ${truths.length} transcriptions`);
  const lm = new CharLm(LM_ORDER).train(trainTexts);
  const score = (o: BeamOptions) => {
    const counts = read.map((r, i) => lineCounts(beamDecode(r.probs, r.frames, charset, { beam: LM_BEAM, ...o }).text, truths[i]!));
    return { cer: cer(counts.map((c) => c.chars)), wer: cer(counts.map((c) => c.words)) };
  };
  const lowest = <T extends { cer: number }>(tried: T[]) => tried.reduce((a, b) => (b.cer < a.cer ? b : a));
  const tried = LM_WEIGHTS.flatMap((weight) => CHAR_BONUSES.map((charBonus) => ({ weight, charBonus, ...score({ lm, lmWeight: weight, charBonus }) })));
  const best = lowest(tried);
  const words = lineWordList();
  const bonuses = [
    { bonus: 0, cer: best.cer, wer: best.wer },
    ...WORD_BONUSES.map((bonus) => ({ bonus, ...score({ lm, lmWeight: best.weight, charBonus: best.charBonus, lexicon: words, wordBonus: bonus }) })),
  ];
  return { lm, beam: LM_BEAM, order: LM_ORDER, tried, best, bonuses, bestBonus: lowest(bonuses) };
}

/** What a line model file carries of its decoding (ONNX metadata; line-reader.ts reads it). */
export function decodingMetadata(t: TunedDecoding): Record<string, string> {
  return {
    lm: t.lm.serialize(2),
    lm_weight: String(t.best.weight),
    char_bonus: String(t.best.charBonus),
    word_bonus: String(t.bestBonus.bonus),
    beam: String(t.beam),
  };
}
