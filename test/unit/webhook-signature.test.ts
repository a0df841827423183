import { signWebhook, verifySignature } from '../../lambdas/core/webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_unit-test-secret';
  const body = JSON.stringify({ id: 'evt_1', type: 'document.ready', document: { id: 'doc_1' } });
  const now = 1_750_000_000;

  it('verifies what it signed, and the header has the documented form', () => {
    const header = signWebhook(secret, now, body);
    expect(header).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, now, body, header, 300, now)).toBe(true);
    expect(verifySignature(secret, String(now), body, header, 300, now + 299)).toBe(true);
  });

  it('refuses a tampered body', () => {
    const header = signWebhook(secret, now, body);
    const tampered = body.replace('document.ready', 'document.failed');
    expect(tampered).not.toBe(body);
    expect(verifySignature(secret, now, tampered, header, 300, now)).toBe(false);
  });

  it('refuses a signature made with another secret', () => {
    const header = signWebhook('whsec_someone-else', now, body);
    expect(verifySignature(secret, now, body, header, 300, now)).toBe(false);
  });

  it('refuses a stale or future timestamp, and a timestamp other than the signed one', () => {
    const header = signWebhook(secret, now, body);
    expect(verifySignature(secret, now, body, header, 300, now + 301)).toBe(false);
    expect(verifySignature(secret, now, body, header, 300, now - 301)).toBe(false);
    expect(verifySignature(secret, now + 1, body, header, 300, now)).toBe(false);
  });

  it('refuses missing, malformed and truncated headers, and accepts one of several signatures', () => {
    const header = signWebhook(secret, now, body);
    for (const bad of [null, undefined, '', 'v1=', header.slice(0, -2), header.replace('v1=', 'v0='), 'garbage']) {
      expect(verifySignature(secret, now, body, bad, 300, now)).toBe(false);
    }
    expect(verifySignature(secret, 'not-a-number', body, header, 300, now)).toBe(false);
    const rotated = `${signWebhook('whsec_old', now, body)}, ${header}`;
    expect(verifySignature(secret, now, body, rotated, 300, now)).toBe(true);
  });
});
