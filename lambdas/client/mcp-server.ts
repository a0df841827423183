import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod/v3';
import { ApiClient, type ApiResponse } from './api-client';

interface ApiError {
  error?: { type?: string; message?: string; request_id?: string };
}

interface Citation {
  index: number;
  document_id: string;
  title: string | null;
  url: string | null;
  snippet: string;
}

interface ChatAnswer {
  answer: string;
  grounded: boolean;
  citations: Citation[];
  refusal: { reason: string; message: string } | null;
}

const text = (value: string, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  isError,
});

/** A failed call as a tool error that says what went wrong, in the API's own words. */
function apiError(res: ApiResponse<unknown>): CallToolResult {
  const body = res.body as ApiError;
  const type = body?.error?.type ?? 'error';
  const message = body?.error?.message ?? (typeof res.body === 'string' ? res.body.slice(0, 200) : 'no message');
  const hint =
    res.status === 401
      ? ' (the key given to `oprag mcp --key` is unknown, revoked or expired)'
      : res.status === 403
        ? ' (the key lacks the scope this tool needs, or is not a project key)'
        : '';
  return text(`Oprag API error ${res.status} ${type}: ${message}${hint}`, true);
}

/** Calls the API, turning a failed connection into a tool error rather than a thrown one. */
async function call<T>(
  request: () => Promise<ApiResponse<T>>,
  ok: (body: T) => CallToolResult,
  baseUrl: string,
): Promise<CallToolResult> {
  let res: ApiResponse<T>;
  try {
    res = await request();
  } catch (e) {
    return text(`could not reach the Oprag API at ${baseUrl}: ${(e as Error).message}`, true);
  }
  return res.status === 200 ? ok(res.body) : apiError(res);
}

/** A cited answer as text: the answer with its `[n]` markers, then each source with its link. */
export function formatAnswer(answer: ChatAnswer): string {
  if (answer.refusal) return `No answer in this project's documents: ${answer.refusal.message}`;
  const sources = answer.citations.map(
    (c) => `[${c.index}] ${c.title ?? 'untitled'}${c.url ? ` <${c.url}>` : ''} (document ${c.document_id})`,
  );
  return `${answer.answer}\n\nSources:\n${sources.join('\n')}`;
}

/**
 * One project's documents as Model Context Protocol tools, called with that project's own key
 * against the HTTP API: nothing here can reach further than the key can.
 */
export function makeMcpServer(baseUrl: string, key: string): McpServer {
  const api = new ApiClient(baseUrl, key);
  const server = new McpServer({ name: 'oprag', version: '1.1.0' });

  server.registerTool(
    'search_documents',
    {
      description:
        "Search this project's documents; returns the best passages with their document's title, url and id.",
      inputSchema: {
        query: z.string().min(1).max(4000).describe('what to look for'),
        top_k: z.number().int().min(1).max(100).optional().describe('how many passages (default 8)'),
      },
    },
    ({ query, top_k }) =>
      call(
        () =>
          api.post<{ results: Record<string, unknown>[] }>('/v1/retrieve', {
            query,
            ...(top_k ? { top_k } : {}),
          }),
        (body) =>
          text(
            JSON.stringify(
              body.results.map((r) => ({
                document_id: r.document_id,
                title: r.title,
                url: r.url,
                text: r.text,
                score: r.score,
                page: r.page,
                section: r.section,
              })),
              null,
              2,
            ),
          ),
        baseUrl,
      ),
  );

  server.registerTool(
    'ask',
    {
      description:
        "Ask a question of this project's documents; returns a cited answer with each source's url, or says the documents hold no answer.",
      inputSchema: { question: z.string().min(1).max(4000).describe('the question') },
    },
    ({ question }) =>
      call(
        () => api.post<ChatAnswer>('/v1/chat', { question }),
        (body) => ({ ...text(formatAnswer(body)), structuredContent: { ...body } }),
        baseUrl,
      ),
  );

  server.registerTool(
    'list_documents',
    {
      description: "List this project's documents, newest first: id, title, url, status.",
      inputSchema: {
        limit: z.number().int().min(1).max(200).optional().describe('how many (default 50)'),
        cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
      },
    },
    ({ limit, cursor }) => {
      const query = new URLSearchParams({ limit: String(limit ?? 50), ...(cursor ? { cursor } : {}) });
      return call(
        () => api.get<{ documents: Record<string, unknown>[]; next_cursor: string | null }>(`/v1/documents?${query}`),
        (body) =>
          text(
            JSON.stringify(
              {
                documents: body.documents.map((d) => ({
                  id: d.id,
                  title: d.title,
                  url: d.url,
                  status: d.status,
                  filename: d.filename,
                  updated_at: d.updated_at,
                })),
                next_cursor: body.next_cursor,
              },
              null,
              2,
            ),
          ),
        baseUrl,
      );
    },
  );
  return server;
}

/** Serves one project's tools over stdio until the client closes the stream. */
export async function serveMcp(baseUrl: string, key: string): Promise<void> {
  await makeMcpServer(baseUrl, key).connect(new StdioServerTransport());
}
