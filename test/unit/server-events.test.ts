import { serverEvents } from '../../lambdas/client/oprag-common';

/** A body that arrives in the given pieces, as a network delivers it. */
function body(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(encoder.encode(p));
      controller.close();
    },
  });
}

async function all(pieces: string[]) {
  const out: { event: string; data: string }[] = [];
  for await (const e of serverEvents(body(pieces))) out.push(e);
  return out;
}

describe('serverEvents', () => {
  it('reads named events whose lines and characters are split across pieces', async () => {
    expect(
      await all(['event: del', 'ta\ndata: {"text":"Ref', 'unds…"}\n', '\nevent: done\r\ndata: {}\r\n\r\n']),
    ).toEqual([
      { event: 'delta', data: '{"text":"Refunds…"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('joins data lines, skips comments and other fields, names an unnamed event "message"', async () => {
    expect(await all([': keep-alive\n\nid: 7\ndata: one\ndata: two\nretry: 100\n\n', 'data: [DONE]\n\n'])).toEqual([
      { event: 'message', data: 'one\ntwo' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('yields an event the body ended before its blank line, and nothing for an empty body', async () => {
    expect(await all(['event: done\ndata: {"a":1}'])).toEqual([{ event: 'done', data: '{"a":1}' }]);
    expect(await all([])).toEqual([]);
  });

  it('decodes a character whose bytes are split between pieces', async () => {
    const bytes = new TextEncoder().encode('data: é\n\n');
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7)); // the first byte of "é"
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    const out: { data: string }[] = [];
    for await (const e of serverEvents(split)) out.push(e);
    expect(out).toEqual([{ event: 'message', data: 'é' }]);
  });
});
