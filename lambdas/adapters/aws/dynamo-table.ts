import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../ports';

/**
 * The one table of the AWS home and the helpers both halves of the tenant store share.
 * The key schema below is the contract with the CDK table (lib/): change them together.
 */

export type Item = Record<string, unknown>;

/** Attributes the table uses for itself; everything else on an item is the record. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'ttl'] as const;

export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
  /** epoch seconds; set on audit events, window counters and pending uploads */
  ttlAttribute: 'ttl',
} as const;

export const GSI1 = TABLE_DEFINITION.gsi1.indexName;

/** Creates the table with the production key schema (dynalite in tests) and waits until it is active. */
export async function createTableForTests(client: DynamoDBClient, tableName: string): Promise<void> {
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
  await client.send(new CreateTableCommand(input));
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(20);
  }
  throw new Error(`table ${tableName} did not become active`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The record an item holds, without the table's own attributes. */
export function record<T>(item: Item | undefined | null): T | null {
  if (!item) return null;
  const out: Item = { ...item };
  for (const a of KEY_ATTRIBUTES) delete out[a];
  return out as T;
}

export function isConditionFailed(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export interface Condition {
  expression: string;
  values?: Item;
}

export async function getItem(doc: DynamoDBDocumentClient, table: string, pk: string, sk: string) {
  const res = await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }));
  return res.Item ?? null;
}

/** Puts an item; returns the one it replaced. A failed condition throws. */
export async function putItem(doc: DynamoDBDocumentClient, table: string, item: Item, condition?: Condition) {
  const res = await doc.send(
    new PutCommand({
      TableName: table,
      Item: item,
      ConditionExpression: condition?.expression,
      ExpressionAttributeValues: condition?.values,
      ReturnValues: 'ALL_OLD',
    }),
  );
  return res.Attributes ?? null;
}

/** Deletes an item; returns it, or null when there was none or the condition did not hold. */
export async function deleteItem(
  doc: DynamoDBDocumentClient,
  table: string,
  key: { pk: string; sk: string },
  condition?: Condition,
) {
  try {
    const res = await doc.send(
      new DeleteCommand({
        TableName: table,
        Key: key,
        ConditionExpression: condition?.expression,
        ExpressionAttributeValues: condition?.values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    return res.Attributes ?? null;
  } catch (e) {
    if (isConditionFailed(e)) return null;
    throw e;
  }
}

/** Sets `fields` on an item while `condition` holds; returns the item as written, or null where it did not hold. */
export async function updateItemIf(
  doc: DynamoDBDocumentClient,
  table: string,
  key: { pk: string; sk: string },
  fields: Item,
  condition: Condition,
) {
  const set = Object.entries(fields).filter(([, v]) => v !== undefined);
  try {
    const res = await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: `SET ${set.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: Object.fromEntries(set.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: { ...condition.values, ...Object.fromEntries(set.map(([, v], i) => [`:f${i}`, v])) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return res.Attributes ?? null;
  } catch (e) {
    if (isConditionFailed(e)) return null;
    throw e;
  }
}

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** One partition (or one gsi1 partition) and a sort-key prefix. */
export interface ItemRange {
  table: string;
  index?: typeof GSI1;
  partition: string;
  prefix: string;
}

function keyNames(range: ItemRange) {
  return range.index ? { '#pk': 'gsi1pk', '#sk': 'gsi1sk' } : { '#pk': 'pk', '#sk': 'sk' };
}

/** Every item of a range, in sort-key order (descending when `newestFirst`). */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  range: ItemRange,
  opts: { newestFirst?: boolean; projection?: string[] } = {},
): Promise<Item[]> {
  const { '#sk': sortName, ...names }: Record<string, string> = keyNames(range);
  if (range.prefix) names['#sk'] = sortName;
  (opts.projection ?? []).forEach((a, i) => {
    names[`#p${i}`] = a;
  });
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const input: QueryCommandInput = {
      TableName: range.table,
      IndexName: range.index,
      // an empty prefix means the whole partition (DynamoDB refuses an empty key value)
      KeyConditionExpression: range.prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':pk': range.partition, ...(range.prefix ? { ':prefix': range.prefix } : {}) },
      ProjectionExpression: opts.projection?.map((_, i) => `#p${i}`).join(', '),
      ScanIndexForward: !opts.newestFirst,
      ConsistentRead: range.index ? undefined : true,
      ExclusiveStartKey: start,
    };
    const res = await doc.send(new QueryCommand(input));
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * One page of a range, newest first: the sort keys are `<prefix><id>` and ids sort by creation.
 * `after` is an id; the page holds the items before it. BETWEEN is inclusive, so the item named by
 * `after` is skipped here, and one more item than the page is read to know whether another follows.
 */
export async function queryPage<T extends { id: string }>(
  doc: DynamoDBDocumentClient,
  range: ItemRange,
  req: { limit: number; after?: string | null },
): Promise<Page<T>> {
  const sortName = range.index ? 'gsi1sk' : 'sk';
  const upTo = req.after ? `${range.prefix}${req.after}` : null;
  const found: Item[] = [];
  let start: Item | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: range.table,
        IndexName: range.index,
        KeyConditionExpression: upTo
          ? '#pk = :pk AND #sk BETWEEN :prefix AND :upTo'
          : '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: keyNames(range),
        ExpressionAttributeValues: {
          ':pk': range.partition,
          ':prefix': range.prefix,
          ...(upTo ? { ':upTo': upTo } : {}),
        },
        ScanIndexForward: false,
        ConsistentRead: range.index ? undefined : true,
        Limit: req.limit + 2,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) if (item[sortName] !== upTo) found.push(item);
    start = res.LastEvaluatedKey;
  } while (start && found.length <= req.limit);
  const items = found.slice(0, req.limit).map((i) => record<T>(i) as T);
  return { items, next_cursor: found.length > req.limit ? items[items.length - 1].id : null };
}

/** Deletes items by key, 25 to a batch, retrying what DynamoDB leaves unprocessed. */
export async function deleteKeys(doc: DynamoDBDocumentClient, table: string, keys: { pk: string; sk: string }[]) {
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  for (let i = 0; i < unique.length; i += 25) {
    let requests: unknown[] = unique.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw new Error('DynamoDB left deletes unprocessed after 8 retries');
        await sleep(Math.min(1000, 25 * 2 ** attempt));
      }
      const res = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: requests as { DeleteRequest: { Key: Item } }[] } }),
      );
      requests = res.UnprocessedItems?.[table] ?? [];
    }
  }
}
