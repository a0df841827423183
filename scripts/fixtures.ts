/**
 * Documents made on the spot for tests and benchmarks: PDFs with a text layer (pdf-lib), DOCX
 * files, large text files, and the malformed files customers send by accident (encrypted and
 * truncated PDFs, zip bombs). Nothing here is read by the service itself.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { crc32, createDeflateRaw, deflateRawSync, deflateSync } from 'node:zlib';
import { mulberry32 } from '../test/helpers/fuzz-model';

const WORDS = (
  'policy refund invoice customer account storage region backup restore latency throughput quota ' +
  'contract renewal support ticket escalation engineer release version upgrade migration schema ' +
  'index search answer citation document project tenant company report audit export deletion ' +
  'encryption certificate network firewall gateway function bucket queue worker retry timeout ' +
  'payment currency discount pricing tier seat license trial onboarding training handbook vacation'
).split(' ');

/** A deterministic pseudo-random generator, so fixtures are the same on every run. */
export const random = mulberry32;

/** A paragraph of plain sentences drawn from a small business vocabulary. */
export function paragraph(rand: () => number, sentences = 5): string {
  const out: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const n = 8 + Math.floor(rand() * 10);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    out.push(`${words.join(' ')}.`);
  }
  return out.join(' ');
}

/**
 * Writes a plain-text file of about `bytes` bytes: paragraphs separated by blank lines, with a
 * findable sentence (`marker`) in the middle. Streams to disk, so the writer holds little memory.
 */
export async function writeLargeText(path: string, bytes: number, marker: string): Promise<number> {
  const out = createWriteStream(path);
  const rand = random(42);
  let written = 0;
  let markerDone = false;
  while (written < bytes) {
    let block = '';
    while (block.length < 256 * 1024) block += `${paragraph(rand)}\n\n`;
    if (!markerDone && written + block.length >= bytes / 2) {
      block += `${marker}\n\n`;
      markerDone = true;
    }
    if (written + block.length > bytes) block = block.slice(0, bytes - written); // ASCII: one byte a character
    written += block.length;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return written;
}

/** A PDF with a text layer: one page per entry of `pages` (pdf-lib, Helvetica). */
export async function makePdf(
  pages: string[][],
  opts: { title?: string; noiseBytesPerPage?: number } = {},
): Promise<Buffer> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  if (opts.title) doc.setTitle(opts.title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const [i, lines] of pages.entries()) {
    const page = doc.addPage([612, 792]);
    if (opts.noiseBytesPerPage) {
      // a different image on every page, as in a scan: nothing for the writer to share
      const noise = await doc.embedPng(noisePng(opts.noiseBytesPerPage, i + 1));
      page.drawImage(noise, { x: 400, y: 20, width: 150, height: 150 });
    }
    let y = 740;
    for (const line of lines) {
      page.drawText(line, { x: 50, y, size: 11, font });
      y -= 16;
      if (y < 40) break;
    }
  }
  return Buffer.from(await doc.save());
}

/** A PNG of random grey pixels of about `bytes` bytes (incompressible, like a scanned page). */
export function noisePng(bytes: number, seed = 7): Buffer {
  const side = Math.max(8, Math.ceil(Math.sqrt(bytes)));
  const rand = random(seed);
  const raw = Buffer.alloc((side + 1) * side);
  for (let r = 0; r < side; r++) {
    raw[r * (side + 1)] = 0; // filter: none
    for (let c = 1; c <= side; c++) raw[r * (side + 1) + c] = Math.floor(rand() * 256);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PDF whose trailer names a standard security handler with a user password: readers must ask
 * for the password (the /U value cannot match an empty one).
 */
export function encryptedPdf(): Buffer {
  const hex = (seed: number) => {
    const rand = random(seed);
    return Array.from({ length: 64 }, () => Math.floor(rand() * 16).toString(16)).join('');
  };
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    '<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (secret text) Tj ET\nendstream',
    `<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <${hex(1)}> /U <${hex(5)}> >>`,
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body +=
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 5 0 R ` +
    `/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\n` +
    `startxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

interface ZipEntry {
  name: string;
  /** the stored (deflated) bytes */
  data: Buffer;
  crc: number;
  size: number;
}

/** A ZIP archive (deflate) from already-compressed entries. */
export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const entry = (name: string, text: string): ZipEntry => {
  const bytes = Buffer.from(text, 'utf8');
  return { name, data: deflateRawSync(bytes), crc: crc32(bytes), size: bytes.length };
};

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>' +
  '</Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '</Relationships>';
const DOC_RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
  '</Relationships>';
const STYLES =
  `<?xml version="1.0" encoding="UTF-8"?><w:styles ${W}>` +
  '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>' +
  '<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style>' +
  '</w:styles>';

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A DOCX with headings (`# ` and `## ` prefixes become Heading 1 and 2) and paragraphs. */
export function makeDocx(lines: string[]): Buffer {
  const paras = lines.map((line) => {
    const m = line.match(/^(#{1,2}) (.*)$/);
    const style = m ? `<w:pPr><w:pStyle w:val="Heading${m[1].length}"/></w:pPr>` : '';
    return `<w:p>${style}<w:r><w:t xml:space="preserve">${escapeXml(m ? m[2] : line)}</w:t></w:r></w:p>`;
  });
  const document = `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>${paras.join('')}</w:body></w:document>`;
  return zip([
    entry('[Content_Types].xml', CONTENT_TYPES),
    entry('_rels/.rels', RELS),
    entry('word/_rels/document.xml.rels', DOC_RELS),
    entry('word/styles.xml', STYLES),
    entry('word/document.xml', document),
  ]);
}

/**
 * A DOCX whose document.xml inflates to about `expandedBytes` (a paragraph, then whitespace) from
 * a few hundred kilobytes: a zip bomb in a valid container.
 */
export async function docxBomb(expandedBytes: number): Promise<Buffer> {
  const head = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body><w:p><w:r><w:t>boom</w:t></w:r></w:p>`,
  );
  const tail = Buffer.from('</w:body></w:document>');
  const filler = Buffer.alloc(1 << 20, 0x20);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = once(deflate, 'end');
  const write = async (b: Buffer) => {
    if (!deflate.write(b)) await once(deflate, 'drain');
  };
  let crc = crc32(head);
  let size = head.length;
  await write(head);
  while (size + filler.length + tail.length <= expandedBytes) {
    await write(filler);
    crc = crc32(filler, crc);
    size += filler.length;
  }
  await write(tail);
  crc = crc32(tail, crc);
  size += tail.length;
  deflate.end();
  await done;
  return zip([
    entry('[Content_Types].xml', CONTENT_TYPES),
    entry('_rels/.rels', RELS),
    { name: 'word/document.xml', data: Buffer.concat(out), crc, size },
  ]);
}
