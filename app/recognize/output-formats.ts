/** The formats a read document is written in (`hwr ocr --format`, queue jobs), and each one's file extension. */
export const OUTPUT_FORMATS = { text: 'txt', json: 'json', hocr: 'hocr', alto: 'xml', page: 'xml', pdf: 'pdf' } as const;
export type OutputFormat = keyof typeof OUTPUT_FORMATS;
