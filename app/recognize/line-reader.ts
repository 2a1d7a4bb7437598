/**
 * Reads text lines with an exported line model: each line image (ink, the model's height, any
 * width) through onnxruntime, then CTC decoding, greedy or by beam search with a language model.
 */
import { existsSync } from 'node:fs';
import { settleLineCase } from './line-case.ts';
import type { GrayImage } from '../image/gray.ts';
import { ctcLoss } from '../nn/ctc.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { VARIABLE } from '../onnx/shapes.ts';
import { BLANK_CLASS, Charset } from './charset.ts';
import { CharLm } from './char-lm.ts';
import { beamDecode } from './ctc-beam.ts';
import { greedyDecode, type DecodedLine } from './ctc-decode.ts';
import { lineWordList } from './word-list.ts';

/** The file of the capitals line model beside a line model: `lines.onnx` → `lines-caps.onnx`. */
export const CAPITALS_SUFFIX = '-caps.onnx';

export interface LineDecoding {
  decoder: 'greedy' | 'beam';
  beam?: number;
  lm?: CharLm;
  lmWeight?: number;
  /** Added for each character read (log probability): offsets the n-gram's cost per character. */
  charBonus?: number;
  lexicon?: ReadonlySet<string>;
  wordBonus?: number;
}

export class LineReader {
  private constructor(
    private readonly model: OnnxModel,
    readonly charset: Charset,
    /** Rows of the line images the model reads. */
    readonly height: number,
    /** The language model and beam the trainer chose on its validation writers, when the file carries them. */
    readonly beam: Omit<LineDecoding, 'decoder'>,
  ) {}

  /**
   * The line model for block capitals beside this one, when its file is there (`lines-caps.onnx`
   * beside `lines.onnx`): the lines both readers find in capitals are read with it
   * (recognizer.ts readLines). Trained for capitals that touch and overlap, it reads running
   * lower-case writing a little worse, so it does not read the rest.
   */
  capitals: LineReader | null = null;

  static async load(path: string, { companion = true }: { companion?: boolean } = {}): Promise<LineReader> {
    const reader = await LineReader.loadOne(path);
    const capsPath = path.replace(/\.onnx$/, '') + CAPITALS_SUFFIX;
    if (companion && !path.endsWith(CAPITALS_SUFFIX) && existsSync(capsPath)) {
      try {
        reader.capitals = await LineReader.loadOne(capsPath);
      } catch (err) {
        await reader.close();
        throw err;
      }
    }
    return reader;
  }

  private static async loadOne(path: string): Promise<LineReader> {
    const model = await OnnxModel.load(path);
    const [height, width, channels] = model.inputShape;
    if (model.inputShape.length !== 3 || width !== VARIABLE || channels !== 1 || model.classes?.[0] !== BLANK_CLASS) {
      await model.close();
      throw new Error(
        `${path} is not a line model (it takes [${model.inputShape.join(', ')}]; a line model takes [height, any width, 1] and writes '${BLANK_CLASS}' first)`,
      );
    }
    const m = model.metadata;
    const wordBonus = Number(m.word_bonus ?? 0);
    const beam: Omit<LineDecoding, 'decoder'> = m.lm
      ? {
          lm: CharLm.deserialize(m.lm),
          lmWeight: Number(m.lm_weight ?? 0.5),
          charBonus: Number(m.char_bonus ?? 0),
          beam: Number(m.beam ?? 8),
          ...(wordBonus > 0 ? { lexicon: lineWordList(), wordBonus } : {}),
        }
      : {};
    return new LineReader(model, new Charset(model.classes.slice(1)), height!, beam);
  }

  /** How its lines are read unless asked otherwise: beam search with its language model where the file has one, else greedily. */
  get defaultDecoding(): LineDecoding {
    return { decoder: this.beam.lm ? 'beam' : 'greedy' };
  }

  /** Per frame, the probabilities of the blank and of each character (frames × charset.size). */
  async probabilities(line: GrayImage): Promise<{ probs: Float32Array; frames: number }> {
    if (line.height !== this.height) throw new RangeError(`line image is ${line.height} rows high, the model reads ${this.height}`);
    const { data, dims } = await this.model.runShaped(line.data, [1, line.height, line.width, 1]);
    return { probs: data, frames: dims[1]! };
  }

  /** The text of one line image (ink 0..1, `height` rows). */
  async read(line: GrayImage, decoding: LineDecoding = { decoder: 'greedy' }): Promise<DecodedLine> {
    const { probs, frames } = await this.probabilities(line);
    return this.settleCase(line, this.decode(probs, frames, decoding), frames);
  }

  /** A word-initial c o s u v w x z read as a capital, in lower case where its ink is only x-height tall (line-case.ts). */
  settleCase(line: GrayImage, read: DecodedLine, frames: number): DecodedLine {
    return frames > 0 ? settleLineCase(line, read, Math.round(line.width / frames)) : read;
  }

  decode(probs: Float32Array, frames: number, decoding: LineDecoding = { decoder: 'greedy' }): DecodedLine {
    if (decoding.decoder === 'greedy') return greedyDecode(probs, frames, this.charset);
    return beamDecode(probs, frames, this.charset, { ...this.beam, ...decoding });
  }

  /**
   * How well `text` fits the line by this model: the log-probability of all its CTC alignments
   * per character (−Infinity where it cannot fit: characters the model lacks, or too few frames).
   */
  score(probs: Float32Array, frames: number, text: string): number {
    const { labels, unknown } = this.charset.encode(text);
    if (unknown.length) return -Infinity;
    const logits = new Float32Array(frames * this.charset.size);
    for (let i = 0; i < logits.length; i++) logits[i] = Math.log(Math.max(probs[i]!, 1e-30));
    const loss = ctcLoss({ logits, frames, classes: this.charset.size, labels });
    return Number.isFinite(loss) ? -loss / Math.max(1, labels.length) : -Infinity;
  }

  async close(): Promise<void> {
    await this.capitals?.close();
    await this.model.close();
  }
}
