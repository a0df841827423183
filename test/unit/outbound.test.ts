import { isPrivateAddress, outboundUrlProblem } from '../../lambdas/core/outbound';

describe('outbound URLs', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:c0a8:1',
    '::ffff:7f00:1',
    // IPv4-compatible, translated (SIIT), NAT64, 6to4, Teredo, documentation, site-local
    '::7f00:1',
    '::127.0.0.1',
    '::ffff:0:7f00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '2002:7f00:1::',
    '2002:808:808::1',
    '2001:0:4136:e378::1',
    '2001:db8::1',
    'fec0::1',
    'fe80::1%eth0',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '172.32.0.1',
    '192.169.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '2001:4860:4860::8888',
    '2a00:1450:4001::200e',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it('refuses private, local, credentialed and plain-http webhook URLs', () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]:8443/x',
      'https://[::ffff:192.168.0.1]/x',
      'https://localhost/x',
      'https://api.localhost/x',
      'https://metadata.internal/x',
      'https://intranet/x',
      'https://[::7f00:1]/x',
      'https://[64:ff9b::a9fe:a9fe]/x',
      'https://[2002:7f00:1::]/x',
      'https://[::ffff:0:7f00:1]/x',
      'https://localhost./x',
      'https://foo.local./x',
      'https://hooks.example.com./x',
      'http://hooks.example.com/x',
      'https://user:pass@hooks.example.com/x',
      'ftp://hooks.example.com/x',
      'not a url',
    ]) {
      expect({ url, problem: outboundUrlProblem(url) }).toEqual({ url, problem: expect.any(String) });
    }
    expect(outboundUrlProblem('https://hooks.example.com/oprag')).toBeNull();
    expect(outboundUrlProblem('https://8.8.8.8/x')).toBeNull();
  });

  it('lets tests and private deployments use private http(s) addresses when allowed', () => {
    expect(outboundUrlProblem('http://127.0.0.1:9999/hook', { allowPrivate: true })).toBeNull();
    expect(outboundUrlProblem('ftp://127.0.0.1/hook', { allowPrivate: true })).not.toBeNull();
  });
});
