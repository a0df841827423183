import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../core/outbound';
import type { WebhookSender } from '../ports';

export type Resolver = (host: string) => Promise<string[]>;

export interface HttpWebhookSenderOptions {
  /** how long one attempt may take, connection to last byte @default 5000 */
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

/**
 * Posts webhooks with fetch, in both homes. The URL was checked when it was set; its host is
 * resolved again here, at send time, because a public name can later point inside the network.
 * Redirects are never followed: a 3xx is the receiver's answer, and a failed delivery.
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
    if (!this.allowPrivate) await this.refusePrivate(target.hostname.replace(/^\[|\]$/g, ''));
    const res = await fetch(target, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined); // the answer's body is not needed; free the socket
    return { status: res.status };
  }

  private async refusePrivate(host: string): Promise<void> {
    const addresses = isIP(host) ? [host] : await this.resolve(host);
    if (addresses.length === 0) throw new Error(`the webhook host ${host} resolves to no address`);
    if (addresses.some(isPrivateAddress)) {
      throw new WebhookRefused('the webhook host resolves to a private, loopback or link-local address');
    }
  }
}
