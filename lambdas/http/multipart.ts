import busboy from 'busboy';
import { Invalid } from '../core/errors';

export interface MultipartForm {
  fields: Record<string, string>;
  file: { bytes: Buffer; filename: string | null; contentType: string | null } | null;
}

/** Parses a multipart/form-data body held in memory (the API reads at most a 4 MB document's worth of body). */
export function parseMultipart(body: Buffer, contentType: string): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: MultipartForm['file'] = null;
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fields: 50 },
        // file names as browsers and curl send them (UTF-8), not busboy's default Latin-1
        defParamCharset: 'utf8',
      });
    } catch {
      reject(new Invalid('the multipart body has no valid boundary'));
      return;
    }
    parser.on('file', (name, stream, info) => {
      const parts: Buffer[] = [];
      // a body that ends inside a part errors on the part's stream: unheard, it would be thrown
      // out of the event loop and take the process down
      stream.on('error', () => reject(new Invalid('the multipart body is malformed: it ends inside a part')));
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        if (name === 'file') {
          const generic = !info.mimeType || info.mimeType === 'application/octet-stream';
          file = {
            bytes: Buffer.concat(parts),
            filename: info.filename ?? null,
            contentType: generic ? null : info.mimeType,
          };
        }
      });
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', () => reject(new Invalid('the multipart body is malformed')));
    parser.on('close', () => resolve({ fields, file }));
    parser.end(body);
  });
}

/** Tags in a form field: a JSON array, or a comma-separated list. */
export function formTags(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim().startsWith('[')) {
    try {
      return JSON.parse(value) as string[];
    } catch {
      throw new Invalid('tags must be a JSON array or a comma-separated list');
    }
  }
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

export function formMetadata(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new Invalid('metadata must be a JSON object');
  }
}
