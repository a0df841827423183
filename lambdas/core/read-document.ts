import type { ExtractedDocument } from './chunking';
import { ExtractionError, extractText, html, type SupportedType } from './extract';
import { checkPdfStreams } from './formats/pdf-guard';
import { layoutBlocks, type PdfLine, type PdfTextItem, pageLines } from './formats/pdf-layout';
import { checkZip } from './formats/zip-guard';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './read-limits';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/**
 * Reads any supported format into plain-text blocks. PDF pages become the blocks' `page`
 * (cited as `page`), DOCX headings become sections. Containers are checked against `limits`
 * before they are inflated. Failures are ExtractionErrors with a message a customer can act on.
 */
export async function readDocument(
  bytes: Buffer,
  type: SupportedType,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<ExtractedDocument> {
  if (type === 'application/pdf') return readPdf(bytes, limits);
  if (type === DOCX) return readDocx(bytes, limits);
  return extractText(bytes, type);
}

/** A PDF ends with `%%EOF` (some writers add a few bytes after it). */
function looksComplete(bytes: Buffer): boolean {
  return bytes.subarray(Math.max(0, bytes.length - 2048)).includes('%%EOF', 0, 'latin1');
}

async function readPdf(bytes: Buffer, limits: ReadLimits): Promise<ExtractedDocument> {
  if (!looksComplete(bytes)) {
    throw new ExtractionError('the PDF is truncated (it has no end-of-file marker); upload the complete file');
  }
  checkPdfStreams(bytes, limits.maxPdfStreamBytes);
  const { getDocumentProxy, getMeta } = await import('unpdf');
  const pages: PdfLine[][] = [];
  let title: string | null = null;
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    if (pdf.numPages > limits.maxPdfPages) {
      throw new ExtractionError(`the PDF has ${pdf.numPages} pages; at most ${limits.maxPdfPages} are read`);
    }
    const meta = await getMeta(pdf).catch(() => null);
    const metaTitle = (meta?.info as Record<string, unknown> | undefined)?.Title;
    if (typeof metaTitle === 'string' && metaTitle.trim()) title = metaTitle.trim();
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const items: PdfTextItem[] = [];
      for (const item of content.items)
        if ('str' in item)
          items.push({
            str: item.str,
            x: item.transform[4],
            y: item.transform[5],
            width: item.width,
            height: item.height,
            hasEOL: item.hasEOL,
          });
      pages.push(pageLines(items));
      page.cleanup();
    }
  } catch (e) {
    if (e instanceof ExtractionError) throw e;
    const err = e as Error;
    if (err.name === 'PasswordException') {
      throw new ExtractionError('the PDF is password-protected; upload a copy without a password');
    }
    if (err.name === 'InvalidPDFException')
      throw new ExtractionError('the PDF is damaged and cannot be read', { cause: e });
    throw new ExtractionError(`the PDF could not be read: ${err.message}`, { cause: e });
  }
  const blocks = layoutBlocks(pages);
  if (!blocks.some((b) => b.kind === 'text'))
    throw new ExtractionError('the PDF has no text layer (scanned pages need OCR first)');
  return { title, blocks };
}

async function readDocx(bytes: Buffer, limits: ReadLimits): Promise<ExtractedDocument> {
  checkZip(bytes, 'DOCX', { maxInflatedBytes: limits.maxInflatedBytes, maxEntries: limits.maxZipEntries });
  const mammoth = await import('mammoth');
  let result: { value: string };
  try {
    result = await mammoth.convertToHtml({ buffer: bytes });
  } catch (e) {
    throw new ExtractionError(`the DOCX could not be read: ${(e as Error).message}`, { cause: e });
  }
  return html(result.value);
}
