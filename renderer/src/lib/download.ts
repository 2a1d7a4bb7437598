/** Saves text as a file through the browser (a download in a browser, a save dialog in Electron). */
export function downloadText(filename: string, mimeType: string, content: string): void {
  download(filename, new Blob([content], { type: mimeType }));
}

/** Saves bytes (a PDF) as a file. */
export function downloadBytes(filename: string, mimeType: string, content: Uint8Array): void {
  download(filename, new Blob([content as Uint8Array<ArrayBuffer>], { type: mimeType }));
}

function download(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
