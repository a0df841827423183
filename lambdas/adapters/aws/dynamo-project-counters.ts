/**
 * The counters of a project, each kept by UpdateItem ADD so that concurrent writers never lose
 * a count: its usage days (`USAGE#<yyyy-mm-dd>`) and its rate-limit windows
 * (`WINDOW#<name>#<window>`, reaped by TTL a few minutes on).
 */
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageCounters, UsageDay } from '../../core/model';
import { USAGE_COUNTERS } from '../../core/model';
import { epochSeconds, type Item } from './dynamo-table';

const COUNTERS = USAGE_COUNTERS;

/** How long a rate-limit window counter outlives its minute before TTL may reap it. */
const WINDOW_TTL_SECONDS = 10 * 60;

/** Where a project's counters live: its table and partition (`PROJECT#<pid>`). */
export interface CounterPartition {
  doc: DynamoDBDocumentClient;
  table: string;
  pk: string;
}

/** Adds `delta` to the project's usage counters of `day`. */
export async function addUsage(
  { doc, table, pk }: CounterPartition,
  day: string,
  delta: Partial<UsageCounters>,
): Promise<void> {
  const names: Record<string, string> = { '#day': 'day' };
  const values: Item = { ':day': day };
  COUNTERS.forEach((c, i) => {
    names[`#c${i}`] = c;
    values[`:c${i}`] = Math.round(delta[c] ?? 0);
  });
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk, sk: `USAGE#${day}` },
      UpdateExpression: `SET #day = :day ADD ${COUNTERS.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/** The project's usage days from `fromDay` to `toDay`, newest first. */
export async function listUsage(
  { doc, table, pk }: CounterPartition,
  fromDay: string,
  toDay: string,
): Promise<UsageDay[]> {
  if (fromDay > toDay) return [];
  const res = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': `USAGE#${fromDay}`, ':to': `USAGE#${toDay}` },
      ScanIndexForward: false,
      ConsistentRead: true,
    }),
  );
  // at most a few hundred small items: one page holds them (1 MB)
  return (res.Items ?? []).map((i) => {
    const day: UsageDay = { day: String(i.day) } as UsageDay;
    for (const c of COUNTERS) day[c] = Number(i[c] ?? 0);
    return day;
  });
}

/** Counts one more call in the window and answers the count so far. */
export async function countInWindow({ doc, table, pk }: CounterPartition, name: string, window: string, by = 1) {
  const res = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk, sk: `WINDOW#${name}#${window}` },
      UpdateExpression: 'SET #ttl = if_not_exists(#ttl, :ttl) ADD #count :one',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#count': 'count' },
      ExpressionAttributeValues: { ':ttl': epochSeconds(Date.now()) + WINDOW_TTL_SECONDS, ':one': by },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(res.Attributes?.count);
}
