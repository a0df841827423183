import type { UploadTarget } from '../../ports';

/** Upload URLs served by the local server itself: `PUT <base>/v1/uploads/<one-time token>`. */
export class LocalUploadTarget implements UploadTarget {
  async createUrl(input: { token: string; contentType: string; baseUrl: string }) {
    return { url: `${input.baseUrl}/v1/uploads/${input.token}`, headers: { 'content-type': input.contentType } };
  }
}
