import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PurgeCounts } from '../../ports';
import { deleteItem, deleteKeys, queryAll } from './dynamo-table';

/**
 * Deletes everything in the project's partition `pk`, then the pointers of its keys and uploads,
 * then the project item last: a purge cut short leaves a project that can be purged again. A
 * second pass catches items written while the first ran (an ingest worker finishing late).
 */
export async function purgeProjectPartition(
  doc: DynamoDBDocumentClient,
  table: string,
  pk: string,
): Promise<PurgeCounts> {
  let documents = 0;
  let keys = 0;
  for (let pass = 0; pass < 5; pass++) {
    const items = (
      await queryAll(
        doc,
        { table, partition: pk, prefix: '' },
        { projection: ['pk', 'sk', 'hash', 'prefix', 'token_hash'] },
      )
    ).filter((i) => i.sk !== 'PROJECT');
    if (items.length === 0) break;
    const doomed: { pk: string; sk: string }[] = [];
    for (const i of items) {
      const sk = String(i.sk);
      doomed.push({ pk, sk });
      if (sk.startsWith('DOC#')) documents++;
      if (sk.startsWith('KEY#')) {
        keys++;
        doomed.push({ pk: `KEY#${sk.slice(4)}`, sk: 'KEY' }, { pk: `KEYHASH#${i.hash}`, sk: 'KEYHASH' });
        if (i.prefix) doomed.push({ pk: `KEYPREFIX#${i.prefix}`, sk });
      }
      if (sk.startsWith('UPLOAD#')) {
        doomed.push({ pk: `UPLOAD#${sk.slice(7)}`, sk: 'UPLOAD' });
        doomed.push({ pk: `UPLOADTOKEN#${i.token_hash}`, sk: 'UPLOADTOKEN' });
      }
    }
    await deleteKeys(doc, table, doomed);
  }
  await deleteItem(doc, table, { pk, sk: 'PROJECT' });
  return { documents, keys };
}
