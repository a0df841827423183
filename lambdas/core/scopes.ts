/**
 * The scopes of a project key and the roles of a company key: names only, nothing of Node, so the
 * request schemas that name them can be read by the dashboard's type check too (through the typed client).
 */
export const SCOPES = ['query', 'ingest', 'review'] as const;
export type Scope = (typeof SCOPES)[number];
export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
