import { newId } from '../../lambdas/core/ids';
import type {
  ApiKeyRecord,
  AuditEvent,
  Chunk,
  Company,
  DocumentRecord,
  GoldenQuestion,
  GoldenRunRecord,
  ProjectRecord,
  UploadRecord,
} from '../../lambdas/core/model';

/** Record builders shared by the port contract suites; every call gets fresh, time-ordered ids. */

const AT = '2025-01-15T10:00:00.000Z';

export function company(over: Partial<Company> = {}): Company {
  return { id: newId('company'), name: 'Acme', created_at: AT, ...over };
}

export function project(companyId: string, over: Partial<ProjectRecord> = {}): ProjectRecord {
  return {
    id: newId('project'),
    company_id: companyId,
    name: 'Tenant',
    external_ref: null,
    environment: 'production',
    limits: {},
    webhook_url: null,
    webhook_secret: null,
    index_placement: null,
    created_at: AT,
    updated_at: AT,
    ...over,
  };
}

export function companyKey(companyId: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = newId('key');
  return {
    id,
    company_id: companyId,
    project_id: null,
    kind: 'company',
    role: 'admin',
    scopes: [],
    name: 'admin key',
    prefix: 'op_live_abcd',
    hash: `hash-${id}`,
    environment: null,
    created_at: AT,
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    ...over,
  };
}

export function projectKey(companyId: string, projectId: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return companyKey(companyId, {
    project_id: projectId,
    kind: 'project',
    role: null,
    scopes: ['query', 'ingest'],
    name: 'project key',
    environment: 'production',
    ...over,
  });
}

export function document(over: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    id: newId('document'),
    title: 'Refund policy',
    url: null,
    filename: 'refunds.md',
    content_type: 'text/markdown',
    external_id: null,
    tags: ['billing'],
    metadata: { source: 'contract' },
    status: 'ready',
    error: null,
    chunks: 1,
    bytes: 100,
    content_hash: 'sha256-abc',
    created_at: AT,
    updated_at: AT,
    ...over,
  };
}

export function goldenQuestion(over: Partial<GoldenQuestion> = {}): GoldenQuestion {
  return {
    id: newId('golden'),
    question: 'How long do refunds take?',
    expected_answer: 'Five days',
    expected_document_ids: [],
    must_refuse: false,
    approved: true,
    created_at: AT,
    updated_at: AT,
    ...over,
  };
}

export function goldenRun(over: Partial<GoldenRunRecord> = {}): GoldenRunRecord {
  return { id: newId('run'), at: AT, status: 'done', total: 1, passed: 1, failed: 0, question_ids: ['gq_x'], ...over };
}

export function auditEvent(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: newId('request'),
    at: AT,
    actor: { type: 'project_key', key_id: null },
    action: 'chat',
    resource: 'chat',
    outcome: 'success',
    request_id: newId('request'),
    ...over,
  };
}

export function upload(projectId: string, over: Partial<UploadRecord> = {}): UploadRecord {
  const id = newId('upload');
  return {
    id,
    project_id: projectId,
    document_id: newId('document'),
    token_hash: `token-${id}`,
    filename: 'refunds.pdf',
    content_type: 'application/pdf',
    title: null,
    url: null,
    external_id: null,
    tags: [],
    expires_at: '2025-01-15T11:00:00.000Z',
    used_at: null,
    created_at: AT,
    ...over,
  };
}

export function chunk(documentId: string, ordinal: number, text: string, over: Partial<Chunk> = {}): Chunk {
  return {
    id: newId('chunk'),
    document_id: documentId,
    ordinal,
    title: null,
    section: null,
    page: null,
    text,
    url: null,
    tags: [],
    ...over,
  };
}

export const ids = <T extends { id: string }>(items: T[]) => items.map((i) => i.id);
