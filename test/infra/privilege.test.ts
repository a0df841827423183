import { itemActions } from '../../lib/data-table';
import { asArray, type Json, ofType, opragFunctions, roleOf, statementsOf, synth } from './synth';

const { resources } = synth('staging');
const fns = opragFunctions(resources);
const [[tableId]] = ofType(resources, 'AWS::DynamoDB::Table');

/** The DynamoDB statements of a function's role. */
function dynamoStatements(name: string): Json[] {
  return statementsOf(resources, roleOf(fns.get(name)!)).filter((s) =>
    asArray(s.Action).some((a: string) => a.startsWith('dynamodb:')),
  );
}

/** The DynamoDB actions a function's role holds, sorted. */
function dynamoActions(name: string): string[] {
  return [...new Set(dynamoStatements(name).flatMap((s) => asArray(s.Action) as string[]))].sort();
}

const READ_AND_RECORD = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

describe('what each function may do to the table', () => {
  it('lets the query function read and leave its records (audit, usage, key use, rate windows), nothing more', () => {
    expect(dynamoActions('query')).toEqual(READ_AND_RECORD);
  });

  it('lets the functions that read untrusted files delete single records but not batch-write', () => {
    for (const name of ['documents', 'worker']) {
      expect(dynamoActions(name)).toEqual([...READ_AND_RECORD, 'dynamodb:DeleteItem'].sort());
    }
  });

  it('gives BatchWriteItem to the control function alone, for the purge of a project', () => {
    expect(dynamoActions('control')).toEqual(
      [...READ_AND_RECORD, 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'].sort(),
    );
    for (const name of ['documents', 'query', 'worker'])
      expect(dynamoActions(name)).not.toContain('dynamodb:BatchWriteItem');
  });

  it('gives no function Scan, BatchGetItem, transactions, wildcards or table-level actions', () => {
    const forbidden =
      /^dynamodb:(Scan|BatchGetItem|Transact.*|ConditionCheckItem|DescribeTable|.*Table.*|.*Stream.*|\*|.*\*)$/;
    for (const name of fns.keys()) {
      expect(dynamoActions(name).filter((a) => forbidden.test(a))).toEqual([]);
    }
    // nothing else in the stack grants a DynamoDB action anywhere
    const anyScan = ofType(resources, 'AWS::IAM::Policy').flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: Json) => asArray(s.Action)),
    );
    expect(anyScan.filter((a: string) => /^dynamodb:(Scan|\*)/.test(a))).toEqual([]);
  });

  it('scopes every DynamoDB statement to the one table and its gsi1, no index wildcard', () => {
    for (const name of fns.keys()) {
      for (const s of dynamoStatements(name)) {
        expect(s.Effect).toBe('Allow');
        expect(s.Resource).toEqual([
          { 'Fn::GetAtt': [tableId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/gsi1']] },
        ]);
      }
    }
  });

  it('lets every function that uses the table encrypt and decrypt with its key, and the reader function neither', () => {
    const tableKeyId = resources[tableId].Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
    const onTableKey = (name: string) =>
      statementsOf(resources, roleOf(fns.get(name)!)).filter((s) =>
        asArray(s.Resource).some((r: Json) => r?.['Fn::GetAtt']?.[0] === tableKeyId),
      );
    expect(onTableKey('reader')).toEqual([]);
    expect(dynamoActions('reader')).toEqual([]);
    for (const name of [...fns.keys()].filter((n) => n !== 'reader')) {
      const kms = statementsOf(resources, roleOf(fns.get(name)!)).filter((s) =>
        asArray(s.Resource).some((r: Json) => r?.['Fn::GetAtt']?.[0] === tableKeyId),
      );
      expect(kms.flatMap((s) => asArray(s.Action))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
    }
  });

  it('derives the actions from what a function deletes', () => {
    expect(itemActions()).toEqual(READ_AND_RECORD);
    expect(itemActions({ deletes: true })).toContain('dynamodb:DeleteItem');
    expect(itemActions({ purges: true })).toEqual(
      expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
    );
  });
});
