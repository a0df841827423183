import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isId } from '../../core/ids';
import type { ApiKeyRecord, AuditEvent, CleanupRecord, Company, ProjectRecord, UploadRecord } from '../../core/model';
import type { PageRequest, ProjectRecords, TenantStore } from '../../ports';
import { DynamoProjectRecords } from './dynamo-project-records';
import {
  deleteItem,
  documentClient,
  epochSeconds,
  GSI1,
  getItem,
  type Item,
  isConditionFailed,
  putItem,
  queryAll,
  queryPage,
  record,
} from './dynamo-table';
import { DynamoUploads } from './dynamo-uploads';

export { createTableForTests, TABLE_DEFINITION } from './dynamo-table';

/**
 * The control records of the AWS home in one DynamoDB table (pk, sk; gsi1pk, gsi1sk; ttl).
 *
 *   record              pk                  sk                     gsi1pk / gsi1sk
 *   company             COMPANY#<cid>       COMPANY                COMPANIES / COMPANY#<cid>
 *   company key         COMPANY#<cid>       KEY#<kid>
 *   company audit       COMPANY#<cid>       AUDIT#<eid>            (ttl)
 *   project             PROJECT#<pid>       PROJECT                COMPANY#<cid> / PROJECT#<pid>
 *   project key         PROJECT#<pid>       KEY#<kid>
 *   upload              PROJECT#<pid>       UPLOAD#<uid>           (ttl; see DynamoUploads)
 *   documents, golden questions and runs, audit, usage, window counters: see DynamoProjectRecords
 *   key id pointer      KEY#<kid>           KEY                    owner = the key's pk
 *   key hash pointer    KEYHASH#<hash>      KEYHASH                owner, key_id
 *   key prefix pointer  KEYPREFIX#<prefix>  KEY#<kid>              owner, company_id
 *   upload id pointer   UPLOAD#<uid>        UPLOAD                 owner (ttl)
 *   upload token ptr    UPLOADTOKEN#<hash>  UPLOADTOKEN            owner, upload_id (ttl)
 *   cleanup             CLEANUP             <pid>#<target>         removal work for the worker
 *
 * Everything a project owns lives in its own partition, so one strongly consistent query finds
 * all of it (purge) and no project-scoped call can name another project's item. Keys and uploads
 * are found by id or hash through small pointer items rather than through the GSI: reads of a
 * pointer are strongly consistent, so a key works the moment it is created and a revocation
 * holds at once. A pointer is written after its record (a crash in between leaves a record no
 * one can reach, never a pointer to nothing) and always checked against the record it names.
 * The GSI serves only lists, where eventual consistency is harmless.
 */
export class DynamoTenantStore implements TenantStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly auditTtlDays: number;
  /** key id -> the partition holding it; a key never moves, so this can only go missing, not wrong */
  private readonly keyOwners = new Map<string, string>();
  private readonly uploads: DynamoUploads;

  constructor(opts: { client: DynamoDBClient; tableName: string; auditTtlDays?: number }) {
    this.doc = documentClient(opts.client);
    this.table = opts.tableName;
    this.auditTtlDays = opts.auditTtlDays ?? 400;
    this.uploads = new DynamoUploads(this.doc, this.table);
  }

  private get(pk: string, sk: string) {
    return getItem(this.doc, this.table, pk, sk);
  }

  private async put(item: Item, condition?: string) {
    await putItem(this.doc, this.table, item, condition ? { expression: condition } : undefined);
  }

  async createCompany(c: Company) {
    const item = { pk: `COMPANY#${c.id}`, sk: 'COMPANY', gsi1pk: 'COMPANIES', gsi1sk: `COMPANY#${c.id}`, ...c };
    await this.put(item, 'attribute_not_exists(pk)');
  }
  async getCompany(id: string) {
    return record<Company>(await this.get(`COMPANY#${id}`, 'COMPANY'));
  }
  async listCompanies() {
    const items = await queryAll(this.doc, {
      table: this.table,
      index: GSI1,
      partition: 'COMPANIES',
      prefix: 'COMPANY#',
    });
    return items.map((i) => record<Company>(i) as Company);
  }

  async putKey(k: ApiKeyRecord) {
    const owner = k.project_id ? `PROJECT#${k.project_id}` : `COMPANY#${k.company_id}`;
    await this.put({ ...k, pk: owner, sk: `KEY#${k.id}` });
    await this.put({ pk: `KEY#${k.id}`, sk: 'KEY', owner });
    await this.put({ pk: `KEYHASH#${k.hash}`, sk: 'KEYHASH', owner, key_id: k.id });
    await this.put({ pk: `KEYPREFIX#${k.prefix}`, sk: `KEY#${k.id}`, owner, company_id: k.company_id });
    this.keyOwners.set(k.id, owner);
  }

  async companiesByKeyPrefix(prefix: string) {
    const items = await queryAll(this.doc, { table: this.table, partition: `KEYPREFIX#${prefix}`, prefix: 'KEY#' });
    return [...new Set(items.map((i) => String(i.company_id)))].sort();
  }

  private async keyOwner(id: string): Promise<string | null> {
    const known = this.keyOwners.get(id);
    if (known) return known;
    const pointer = await this.get(`KEY#${id}`, 'KEY');
    const owner = typeof pointer?.owner === 'string' ? pointer.owner : null;
    if (owner) this.remember(id, owner);
    return owner;
  }

  private remember(id: string, owner: string) {
    if (this.keyOwners.size >= 10_000) this.keyOwners.clear();
    this.keyOwners.set(id, owner);
  }

  async getKey(id: string) {
    const owner = await this.keyOwner(id);
    return owner ? record<ApiKeyRecord>(await this.get(owner, `KEY#${id}`)) : null;
  }
  async findKeyByHash(hash: string) {
    const pointer = await this.get(`KEYHASH#${hash}`, 'KEYHASH');
    if (typeof pointer?.owner !== 'string' || typeof pointer.key_id !== 'string') return null;
    const key = record<ApiKeyRecord>(await this.get(pointer.owner, `KEY#${pointer.key_id}`));
    if (!key || key.hash !== hash) return null; // a stale pointer never authenticates
    this.remember(key.id, pointer.owner);
    return key;
  }
  async listCompanyKeys(companyId: string) {
    return this.keysIn(`COMPANY#${companyId}`);
  }
  async listProjectKeys(projectId: string) {
    return this.keysIn(`PROJECT#${projectId}`);
  }
  private async keysIn(partition: string) {
    const items = await queryAll(this.doc, { table: this.table, partition, prefix: 'KEY#' }, { newestFirst: true });
    return items.map((i) => record<ApiKeyRecord>(i) as ApiKeyRecord);
  }

  async touchKey(id: string, at: string) {
    try {
      const owner = await this.keyOwner(id);
      if (!owner) return;
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: owner, sk: `KEY#${id}` },
          UpdateExpression: 'SET #used = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#used': 'last_used_at' },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch {
      // best effort by contract: a lost last_used_at must never fail the request that used the key
    }
  }

  async revokeKey(id: string, at: string) {
    const owner = await this.keyOwner(id);
    if (!owner) return null;
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: owner, sk: `KEY#${id}` },
          UpdateExpression: 'SET #revoked = :at',
          // the first revocation time stays
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(#revoked) OR attribute_type(#revoked, :null))',
          ExpressionAttributeNames: { '#revoked': 'revoked_at' },
          ExpressionAttributeValues: { ':at': at, ':null': 'NULL' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return record<ApiKeyRecord>(res.Attributes);
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      return this.getKey(id);
    }
  }

  private projectItem(p: ProjectRecord): Item {
    return { ...p, pk: `PROJECT#${p.id}`, sk: 'PROJECT', gsi1pk: `COMPANY#${p.company_id}`, gsi1sk: `PROJECT#${p.id}` };
  }
  async createProject(p: ProjectRecord) {
    await this.put(this.projectItem(p), 'attribute_not_exists(pk)');
  }
  async getProject(id: string) {
    return record<ProjectRecord>(await this.get(`PROJECT#${id}`, 'PROJECT'));
  }
  async listProjects(companyId: string, page: PageRequest) {
    const range = { table: this.table, index: GSI1, partition: `COMPANY#${companyId}`, prefix: 'PROJECT#' };
    return queryPage<ProjectRecord>(this.doc, range, page);
  }
  async updateProject(p: ProjectRecord) {
    try {
      await this.put(this.projectItem(p), 'attribute_exists(pk)'); // never resurrects a purged project
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  forProject(projectId: string): ProjectRecords {
    if (!isId('project', projectId)) throw new Error('invalid project id for records');
    return new DynamoProjectRecords({ doc: this.doc, table: this.table, auditTtlDays: this.auditTtlDays }, projectId);
  }

  async appendCompanyAudit(companyId: string, event: AuditEvent) {
    const ttl = epochSeconds(Date.parse(event.at)) + this.auditTtlDays * 86_400;
    await this.put({ ...event, pk: `COMPANY#${companyId}`, sk: `AUDIT#${event.id}`, ...(ttl ? { ttl } : {}) });
  }

  async listCompanyAudit(companyId: string, page: PageRequest) {
    return queryPage<AuditEvent>(
      this.doc,
      { table: this.table, partition: `COMPANY#${companyId}`, prefix: 'AUDIT#' },
      page,
    );
  }

  /** Audit events carry a `ttl` (auditTtlDays): DynamoDB deletes them itself, nothing to prune here. */
  async pruneAudit(_before: string) {
    return 0;
  }

  /** Removal work lives outside the project's partition, so the project's purge keeps it until it is done. */
  async putCleanup(c: CleanupRecord) {
    try {
      await this.put({ pk: 'CLEANUP', sk: `${c.project_id}#${c.target}`, ...c }, 'attribute_not_exists(pk)');
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }
  async listCleanups(projectId?: string) {
    const prefix = projectId ? `${projectId}#` : '';
    const items = await queryAll(this.doc, { table: this.table, partition: 'CLEANUP', prefix });
    return items.map((i) => record<CleanupRecord>(i) as CleanupRecord);
  }
  async getCleanup(projectId: string, target: string) {
    return record<CleanupRecord>(await this.get('CLEANUP', `${projectId}#${target}`));
  }
  async deleteCleanup(projectId: string, target: string) {
    await deleteItem(this.doc, this.table, { pk: 'CLEANUP', sk: `${projectId}#${target}` });
  }

  putUpload(u: UploadRecord) {
    return this.uploads.put(u);
  }
  findUpload(tokenHash: string, now: string) {
    return this.uploads.findByToken(tokenHash, now);
  }
  claimUpload(tokenHash: string, now: string) {
    return this.uploads.claimByToken(tokenHash, now);
  }
  claimUploadById(uploadId: string, now: string) {
    return this.uploads.claimById(uploadId, now);
  }
}
