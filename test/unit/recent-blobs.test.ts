import { RecentBlobs } from '../../lambdas/adapters/local/recent-blobs';

/** Blobs just put, held in memory for one read soon after: once, per project, bounded. */
describe('blobs held for a read soon after their put', () => {
  let now = 0;
  const recent = (maxBytes = 1024 * 1024, maxItemBytes = 256 * 1024) =>
    new RecentBlobs(maxBytes, () => now, maxItemBytes, 60_000);
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const text = (r: RecentBlobs, project: string, key: string) => r.take(project, key)?.bytes.toString() ?? null;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('gives a blob out once, with its content type', () => {
    const r = recent();
    r.put('prj_a', 'originals/doc_1', bytes('first'), 'text/plain');
    expect(r.take('prj_a', 'originals/doc_1')).toEqual({ bytes: bytes('first'), contentType: 'text/plain' });
    expect(r.take('prj_a', 'originals/doc_1')).toBeNull();
    expect(r.size).toEqual({ blobs: 0, bytes: 0 });
  });

  it('never gives one project the blob held for another under the same key', () => {
    const r = recent();
    r.put('prj_a', 'originals/doc_1', bytes('A'), 'text/plain');
    expect(r.take('prj_b', 'originals/doc_1')).toBeNull();
    r.forgetProject('prj_b');
    expect(text(r, 'prj_a', 'originals/doc_1')).toBe('A');
  });

  it('holds the newer of two puts of a key, and lets go on forget, or of a whole project', () => {
    const r = recent();
    r.put('prj_a', 'originals/doc_1', bytes('old'), 'text/plain');
    r.put('prj_a', 'originals/doc_1', bytes('new!'), 'text/plain');
    expect(r.size).toEqual({ blobs: 1, bytes: 4 });
    r.forget('prj_a', 'originals/doc_1', bytes('new!')); // other bytes than those held: kept
    expect(r.size.blobs).toBe(1);
    r.forget('prj_a', 'originals/doc_1');
    expect(r.take('prj_a', 'originals/doc_1')).toBeNull();
    r.put('prj_a', 'originals/doc_2', bytes('x'), 'text/plain');
    r.put('prj_b', 'originals/doc_2', bytes('y'), 'text/plain');
    r.forgetProject('prj_a');
    expect(r.take('prj_a', 'originals/doc_2')).toBeNull();
    expect(text(r, 'prj_b', 'originals/doc_2')).toBe('y');
  });

  it('holds no more than its bytes, and no blob larger than its item limit', () => {
    const r = recent(10, 6);
    r.put('prj_a', 'originals/big', bytes('1234567'), 'text/plain'); // over the item limit
    r.put('prj_a', 'originals/doc_1', bytes('123456'), 'text/plain');
    r.put('prj_a', 'originals/doc_2', bytes('12345'), 'text/plain'); // would pass 10 bytes: not held
    r.put('prj_a', 'originals/doc_3', bytes('1234'), 'text/plain');
    expect(r.size).toEqual({ blobs: 2, bytes: 10 });
    expect(r.take('prj_a', 'originals/big')).toBeNull();
    expect(r.take('prj_a', 'originals/doc_2')).toBeNull();
    expect(text(r, 'prj_a', 'originals/doc_1')).toBe('123456');
    expect(text(r, 'prj_a', 'originals/doc_3')).toBe('1234');
  });

  it('lets go of blobs not read within a minute', () => {
    const r = recent();
    r.put('prj_a', 'originals/old', bytes('old'), 'text/plain');
    now += 30_000;
    r.put('prj_a', 'originals/mid', bytes('mid'), 'text/plain');
    now += 30_001;
    r.put('prj_a', 'originals/new', bytes('new'), 'text/plain');
    expect(r.size.blobs).toBe(2);
    expect(r.take('prj_a', 'originals/old')).toBeNull();
    expect(text(r, 'prj_a', 'originals/mid')).toBe('mid');
  });

  it('copies a blob that is a small view into a larger buffer, so the larger one is not held', () => {
    const r = recent();
    const body = Buffer.alloc(64 * 1024, 0x61);
    const view = body.subarray(1000, 1010);
    r.put('prj_a', 'originals/doc_1', view, 'text/plain');
    expect(r.size.bytes).toBe(10);
    const taken = r.take('prj_a', 'originals/doc_1')?.bytes as Buffer;
    expect(taken.equals(view)).toBe(true);
    expect(taken.buffer.byteLength).toBeLessThan(body.length);
  });
});
