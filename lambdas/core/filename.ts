/**
 * A client's file name as Oprag keeps it: the last path segment only (`../../etc/passwd` and
 * `C:\\Users\\x\\report.pdf` keep `passwd` and `report.pdf`), without control characters, at
 * most 255 characters; null when nothing is left. Names are shown and sent back in
 * Content-Disposition, never used as a path.
 */
export function safeFilename(name: string | null | undefined): string | null {
  if (!name) return null;
  const base = (name.split(/[/\\]/).pop() ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  if (base === '' || base === '.' || base === '..') return null;
  return base.slice(0, 255);
}
