/**
 * A form's printed field label read into the name beside it ("NAME RICHARD", "LAST AME: JEAN
 * ROUX", "SURNAMEWILLIAMS"): on a crop of one line, what the label is, as text. The label finder
 * (image/form-labels.ts) leaves out print clearly smaller than the handwriting before anything is
 * read; a label printed about as large as the name passes it, and is read with the name. Here:
 * - leading words (four at most, and a colon) near a common French or English name field's label
 *   are one: a letter misread in short labels, a third of the letters in longer ones, half of them
 *   where the words end in a colon, as labels do ("LAST AME:", not "NOTE:");
 * - before a colon, words with a letter in lower case ("IoIII de ta IIIIlle :"), which no name in
 *   block capitals has, are a label, and so are four letters and more that make no word or name
 *   before a colon or a comma or full stop it was misread as ("PIÉIIOIII:", "STJRITAIVII,");
 * - a first word that begins with such a label of four letters or more and goes on for three
 *   letters more is the label joined to the name ("N2MEBOUCHARD").
 * Only where what remains reads as a name in block capitals, and never a lone first word that is a
 * person's name (cspell's list: "TOM" is a name as well as a misread "NOM") unless a mark ends it:
 * "Total : 42" and "TOM MARTIN" stay whole.
 */
import { levenshtein } from './cer.ts';
import { capitalsLexicon, isPersonName, withoutAccents } from './lexicon-correct.ts';

/** Labels of name fields on French and English forms, in capitals without accents. */
const LABELS = [
  'NOM',
  'NOMS',
  'PRENOM',
  'PRENOMS',
  'NOM DE FAMILLE',
  'NOM DE JEUNE FILLE',
  "NOM D'USAGE",
  'NOM ET PRENOM',
  'NOM PRENOM',
  'NAME',
  'FIRST NAME',
  'LAST NAME',
  'SURNAME',
  'FAMILY NAME',
  'GIVEN NAME',
  'GIVEN NAMES',
  'FULL NAME',
  'FORENAME',
  'FORENAMES',
  'MIDDLE NAME',
];
/** The most words a label is read as. */
const MAX_WORDS = Math.max(...LABELS.map((l) => l.split(' ').length));

/** Letters a label's reading may differ by: one in short labels, a third of the letters in longer ones (half before a colon). */
const allowedEdits = (label: string, colon: boolean) => (label.length < 6 ? 1 : Math.floor(label.length / (colon ? 2 : 3)));

const capitals = (word: string) => withoutAccents(word).toUpperCase();

/**
 * Words in capitals as a label is matched: with the misreadings of print that the line model makes
 * most undone (an N read as "IV", an A as "2": "IVAME", "L2SE M2ME"). A digit is never a name's,
 * so a 2 turned back costs nothing; an "IV" turned back counts as a letter misread ("IVO", a name,
 * is no misread "NOM").
 */
const asPrint = (text: string) => ({ text: text.replace(/IV/g, 'N').replace(/2/g, 'A'), edits: text.split('IV').length - 1 });

/** Whether a reading (words in capitals joined by a space) is a label, a few letters misread; spaces may be lost. */
function isLabel(reading: string, colon: boolean): boolean {
  const print = asPrint(reading);
  const joined = print.text.replace(/ /g, '');
  return LABELS.some((label) => {
    const allowed = allowedEdits(label, colon) - print.edits;
    return levenshtein(print.text, label) <= allowed || levenshtein(joined, label.replace(/ /g, '')) <= allowed;
  });
}

/** Words of a name in block capitals: a capital first, then capitals, a hyphen, apostrophe or full stop (or a digit, misread). */
const isNameWord = (word: string) => /^\p{Lu}[\p{Lu}0-9'.-]*$/u.test(word);

/**
 * What of a one-line crop's words (as read, left to right) is a field label: the leading words
 * to drop, and how many characters to cut from the start of the word after them (0: none).
 */
export function fieldLabel(words: readonly string[]): { words: number; chars: number } {
  const none = { words: 0, chars: 0 };
  if (words.length === 0) return none;
  const upper = words.map((w) => capitals(w).replace(/[.;,]+$/, ''));
  // One word, no colon: a person's name read exactly stays ("TOM" is a name as well as a misread "NOM").
  const aName = isPersonName(upper[0]!) && !LABELS.includes(upper[0]!);
  // A colon read as a word of its own adds one.
  for (let k = Math.min(MAX_WORDS + 1, words.length - 1); k >= 1; k--) {
    // The colon may begin the name's first word (":TAYLOR").
    const markAfter = /^[:,]./.test(words[k]!) ? 1 : 0;
    const rest = [words[k]!.slice(markAfter), ...words.slice(k + 1)];
    if (!rest.every((w) => isNameWord(w.replace(/^[("'«]/, '')))) continue;
    const end = markAfter ? words[k]![0]! : words[k - 1]!.slice(-1);
    const mark = /[:,.]/.test(end);
    const colon = end === ':';
    if (k === 1 && !mark && aName) continue;
    const before = upper.slice(0, k).join(' ').replace(/\s*:$/, '').trim();
    if (
      isLabel(before, colon) ||
      // Before a colon, letters in lower case are print too: a name in block capitals has none.
      (colon && /\p{Ll}/u.test(words.slice(0, k).join(''))) ||
      // Before a colon or what a colon was misread as, letters that make no word or name are misread print ("STJRITAIVII,").
      (mark &&
        before.replace(/[^A-Z]/g, '').length >= 4 &&
        upper.slice(0, k).every((w) => !capitalsLexicon().has(w.replace(/:$/, '')) && !isPersonName(w.replace(/:$/, ''))))
    )
      return { words: k, chars: markAfter };
  }
  // The label joined to the name: its letters (as read, misread print counting as above), then three more at least;
  // never a word of the list ("NAMESAKE").
  const first = capitals(words[0]!);
  if (aName || capitalsLexicon().has(first)) return none;
  let best = { edits: Infinity, off: Infinity, cut: 0 };
  for (const label of LABELS) {
    if (label.includes(' ') || label.length < 4) continue;
    for (let cut = label.length - 1; cut <= label.length + 2 && cut <= first.length - 3; cut++) {
      const head = asPrint(first.slice(0, cut));
      const edits = levenshtein(head.text, label) + head.edits;
      const off = Math.abs(head.text.length - label.length);
      if (edits <= allowedEdits(label, false) && isNameWord(first.slice(cut)) && (edits < best.edits || (edits === best.edits && off < best.off)))
        best = { edits, off, cut };
    }
  }
  if (best.cut > 0) return { words: 0, chars: best.cut };
  return none;
}
