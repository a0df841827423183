import type { Block, ExtractedDocument } from './chunking';
import { ExtractionError, extractText, html, type SupportedType } from './extract';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/**
 * Reads any supported format into plain-text blocks. PDF pages become the blocks' `page`
 * (cited as `page`), DOCX headings become sections. Failures are ExtractionErrors with a
 * message a customer can act on.
 */
export async function readDocument(bytes: Buffer, type: SupportedType): Promise<ExtractedDocument> {
  if (type === 'application/pdf') return readPdf(bytes);
  if (type === DOCX) return readDocx(bytes);
  return extractText(bytes, type);
}

async function readPdf(bytes: Buffer): Promise<ExtractedDocument> {
  const { extractText: pdfText, getDocumentProxy, getMeta } = await import('unpdf');
  let pages: string[];
  let title: string | null = null;
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    const meta = await getMeta(pdf).catch(() => null);
    const metaTitle = (meta?.info as Record<string, unknown> | undefined)?.Title;
    if (typeof metaTitle === 'string' && metaTitle.trim()) title = metaTitle.trim();
    pages = (await pdfText(pdf, { mergePages: false })).text as string[];
  } catch (e) {
    throw new ExtractionError(`the PDF could not be read: ${(e as Error).message}`);
  }
  const blocks: Block[] = [];
  pages.forEach((text, i) => {
    for (const p of text.split(/\n\s*\n/)) {
      const clean = p.replace(/\s+/g, ' ').trim();
      if (clean) blocks.push({ kind: 'text', text: clean, page: i + 1 });
    }
  });
  if (blocks.length === 0) throw new ExtractionError('the PDF has no text layer (scanned pages need OCR first)');
  return { title, blocks };
}

async function readDocx(bytes: Buffer): Promise<ExtractedDocument> {
  const mammoth = await import('mammoth');
  let result: { value: string };
  try {
    result = await mammoth.convertToHtml({ buffer: bytes });
  } catch (e) {
    throw new ExtractionError(`the DOCX could not be read: ${(e as Error).message}`);
  }
  return html(result.value);
}
