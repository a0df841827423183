import type { UploadTarget } from '../../ports';

/**
 * Upload URLs served by the local server itself: `PUT <base>/v1/uploads/<one-time token>`. The
 * token's record holds the size the URL is bound to; the server refuses another length.
 */
export class LocalUploadTarget implements UploadTarget {
  async createUrl(input: { token: string; contentType: string; size?: number; baseUrl: string }) {
    const headers: Record<string, string> = { 'content-type': input.contentType };
    if (input.size !== undefined) headers['content-length'] = String(input.size);
    return { url: `${input.baseUrl}/v1/uploads/${input.token}`, headers };
  }
}
