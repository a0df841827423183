/**
 * Raw requests to Oprag's HTTP API, answered whatever their status (for checks that expect errors,
 * such as the isolation check); the typed client (oprag.ts) carries them, so a network error names
 * the URL it tried.
 */
import { Oprag } from './oprag';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key?: string,
  ) {}

  withKey(key: string): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const {
      status,
      body: parsed,
      headers,
    } = await new Oprag({ baseUrl: this.baseUrl, key: this.key }).raw<T>(method, path, body);
    return { status, body: parsed, headers };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** Throws with the API's own error message unless the status is the expected one. */
export function expectStatus<T>(res: ApiResponse<T>, status: number, what: string): T {
  if (res.status !== status) {
    const err = (res.body as { error?: { message?: string } })?.error?.message ?? JSON.stringify(res.body);
    throw new Error(`${what}: expected ${status}, got ${res.status} (${err})`);
  }
  return res.body;
}
