import { analyzeChunk } from '../../lambdas/core/chunk-terms';

// its own file: the analysis memos are the module's, and this test needs them fresh
describe('analyzeChunk, once its memos of 200,000 tokens are cleared', () => {
  it('counts a key under one term still, for a token it knew before and a new one of the same key', () => {
    const words = Array.from({ length: 199_990 }, (_, i) => `w${i.toString(36)}`);
    analyzeChunk(null, null, words.join(' '));
    // 'refund' is known now, and the memos pass 200,000 tokens with this chunk
    const extra = Array.from({ length: 20 }, (_, i) => `z${i}`).join(' ');
    analyzeChunk(null, null, `refund ${extra}`);

    const a = analyzeChunk(null, null, 'refund refunds');
    expect(a.keys).toEqual(['refund']);
    expect(a.tf).toEqual([[0, 0, 2]]);
  });
});
