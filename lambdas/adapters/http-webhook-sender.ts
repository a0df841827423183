import { lookup as dnsLookup } from 'node:dns/promises';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../core/outbound';
import type { WebhookSender } from '../ports';

export type Resolver = (host: string) => Promise<string[]>;

export interface HttpWebhookSenderOptions {
  /** how long one attempt may take, connection to the answer's status @default 5000 */
  timeoutMs?: number;
  /** let the URL reach private and loopback addresses (tests, private deployments) @default false */
  allowPrivate?: boolean;
  /** every address a host name resolves to @default node:dns lookup with `all: true` */
  resolve?: Resolver;
}

/** Why a webhook was not sent at all: the URL is not one Oprag calls. Not worth retrying. */
export class WebhookRefused extends Error {
  readonly name = 'WebhookRefused';
}

const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/** A lookup that answers every question with the one address already checked: no second resolution. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_hostname, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Posts webhooks, in both homes. The URL was checked when it was set; its host is resolved again
 * here, once per attempt, because a public name can later point inside the network, and the
 * connection is made to exactly the address that was checked (a pinned lookup: the name is not
 * resolved a second time, so a rebinding DNS server cannot swap a private address in between).
 * TLS still verifies the certificate against the host name. Redirects are never followed: a 3xx
 * is the receiver's answer, and a failed delivery.
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly allowPrivate: boolean;
  private readonly resolve: Resolver;

  constructor(opts: HttpWebhookSenderOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.allowPrivate = opts.allowPrivate ?? false;
    this.resolve = opts.resolve ?? systemResolver;
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !(this.allowPrivate && target.protocol === 'http:')) {
      throw new WebhookRefused('the webhook URL must be https');
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!this.allowPrivate && host.endsWith('.')) throw new WebhookRefused('the webhook host must not end with a dot');
    const address = await this.checkedAddress(host);
    return this.post(target, address, body, headers);
  }

  /** The address the host resolves to, once; refused when any address it resolves to is private. */
  private async checkedAddress(host: string): Promise<string> {
    const addresses = isIP(host) ? [host] : await this.resolve(host);
    if (addresses.length === 0) throw new Error(`the webhook host ${host} resolves to no address`);
    if (!this.allowPrivate && addresses.some(isPrivateAddress)) {
      throw new WebhookRefused('the webhook host resolves to a private, loopback or link-local address');
    }
    return addresses[0];
  }

  private post(target: URL, address: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number }>((resolve, reject) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let req: ClientRequest | null = null;
      const timer = setTimeout(() => {
        const e = new Error(`the webhook receiver did not answer within ${this.timeoutMs} ms`);
        e.name = 'TimeoutError';
        req?.destroy(e);
      }, this.timeoutMs);
      req = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          lookup: pinnedLookup(address),
          agent: false, // no pooled connection made for another address
        },
        (res: IncomingMessage) => {
          clearTimeout(timer);
          res.destroy(); // the answer's body is not needed; free the socket
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(body);
    });
  }
}
