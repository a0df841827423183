import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UploadRecord } from '../../core/model';
import { epochSeconds, getItem, isConditionFailed, putItem, record } from './dynamo-table';

/**
 * The pending uploads of the AWS home: each in its project's partition (`UPLOAD#<uid>`), found
 * through two pointers, by id (`UPLOAD#<uid>` / `UPLOAD`) and by the hash of its token
 * (`UPLOADTOKEN#<hash>` / `UPLOADTOKEN`), all three reaped by TTL a day after the URL expired.
 * A pointer is always checked against the record it names.
 */
export class DynamoUploads {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(u: UploadRecord) {
    const owner = `PROJECT#${u.project_id}`;
    // a pending upload is worth nothing a day after its URL expired
    const ttl = epochSeconds(Date.parse(u.expires_at)) + 86_400 || undefined;
    await putItem(this.doc, this.table, { ...u, pk: owner, sk: `UPLOAD#${u.id}`, ttl });
    await putItem(this.doc, this.table, { pk: `UPLOAD#${u.id}`, sk: 'UPLOAD', owner, ttl });
    await putItem(this.doc, this.table, {
      pk: `UPLOADTOKEN#${u.token_hash}`,
      sk: 'UPLOADTOKEN',
      owner,
      upload_id: u.id,
      ttl,
    });
  }

  async findByToken(tokenHash: string, now: string) {
    const pointer = await getItem(this.doc, this.table, `UPLOADTOKEN#${tokenHash}`, 'UPLOADTOKEN');
    if (typeof pointer?.owner !== 'string' || typeof pointer.upload_id !== 'string') return null;
    const u = record<UploadRecord>(await getItem(this.doc, this.table, pointer.owner, `UPLOAD#${pointer.upload_id}`));
    // the pointer is checked against the record it names, as a claim checks it
    return u && u.token_hash === tokenHash && !u.used_at && u.expires_at > now ? u : null;
  }

  async claimByToken(tokenHash: string, now: string) {
    const pointer = await getItem(this.doc, this.table, `UPLOADTOKEN#${tokenHash}`, 'UPLOADTOKEN');
    if (typeof pointer?.owner !== 'string' || typeof pointer.upload_id !== 'string') return null;
    return this.claim(pointer.owner, pointer.upload_id, now, tokenHash);
  }

  async claimById(uploadId: string, now: string) {
    const pointer = await getItem(this.doc, this.table, `UPLOAD#${uploadId}`, 'UPLOAD');
    if (typeof pointer?.owner !== 'string') return null;
    return this.claim(pointer.owner, uploadId, now);
  }

  /** One conditional update: of two racing claims exactly one sees the upload unused and unexpired. */
  private async claim(owner: string, uploadId: string, now: string, tokenHash?: string) {
    const checks = [
      'attribute_exists(pk)',
      '(attribute_not_exists(#used) OR attribute_type(#used, :null))',
      '#exp > :now',
    ];
    if (tokenHash) checks.push('#token = :token');
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: owner, sk: `UPLOAD#${uploadId}` },
          UpdateExpression: 'SET #used = :now',
          ConditionExpression: checks.join(' AND '),
          ExpressionAttributeNames: {
            '#used': 'used_at',
            '#exp': 'expires_at',
            ...(tokenHash ? { '#token': 'token_hash' } : {}),
          },
          ExpressionAttributeValues: { ':now': now, ':null': 'NULL', ...(tokenHash ? { ':token': tokenHash } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return record<UploadRecord>(res.Attributes);
    } catch (e) {
      if (isConditionFailed(e)) return null;
      throw e;
    }
  }
}
