/**
 * The wire types (lambdas/http/wire.ts) are what the use cases answer: each pair below must be
 * assignable both ways, or `npx tsc --noEmit` fails. test/http/wire.test.ts checks real answers field by field.
 */
import type * as wire from '../../lambdas/http/wire';
import type { Services } from '../../lambdas/service';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type Answer<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
type S = Services;

export type WireShapes = [
  Expect<Same<Answer<S['keys']['getCompany']>, { company: wire.Company }>>,
  Expect<Same<Answer<S['keys']['createCompanyKey']>, { api_key: wire.NewApiKey }>>,
  Expect<Same<Answer<S['keys']['listCompanyKeys']>, { keys: wire.ApiKey[] }>>,
  Expect<Same<Answer<S['keys']['revokeProjectKey']>, { api_key: wire.ApiKey }>>,
  Expect<Same<Answer<S['keys']['createProjectKey']>, { api_key: wire.NewApiKey }>>,
  Expect<Same<Answer<S['projects']['createProject']>, wire.ProjectCreated>>,
  Expect<Same<Answer<S['projects']['listProjects']>, wire.ProjectPage>>,
  Expect<Same<Answer<S['projects']['getProject']>, { project: wire.Project }>>,
  Expect<Same<Answer<S['projects']['updateProject']>, { project: wire.Project & { webhook_secret?: string } }>>,
  Expect<Same<Answer<S['projects']['deleteProject']>, wire.ProjectDeleted>>,
  Expect<Same<Answer<S['projects']['usage']>, { usage: wire.UsageDay[] }>>,
  Expect<Same<Answer<S['documents']['listDocuments']>, wire.DocumentPage>>,
  Expect<Same<Answer<S['documents']['getDocument']>, { document: wire.DocumentView }>>,
  Expect<Same<Answer<S['documents']['createUpload']>, wire.UploadCreated>>,
  Expect<Same<Answer<S['answers']['chat']>, wire.ChatAnswer>>,
  Expect<Same<Answer<S['answers']['retrieve']>, wire.RetrieveAnswer>>,
  Expect<Same<Answer<S['golden']['create']>, { golden_question: wire.GoldenQuestion }>>,
  Expect<Same<Answer<S['golden']['list']>, { golden_questions: wire.GoldenQuestion[] }>>,
  Expect<Same<Answer<S['golden']['run']>, { run: wire.GoldenRunStarted }>>,
  Expect<Same<Answer<S['golden']['getRun']>, { run: wire.GoldenRun }>>,
  Expect<Same<Answer<S['exports']['getExport']>, { export: wire.ExportJob }>>,
  Expect<Same<Answer<S['golden']['runs']>, { runs: wire.GoldenRun[] }>>,
  Expect<Same<Answer<S['audit']['list']>, wire.AuditPage>>,
  Expect<Same<Answer<S['keys']['me']>, wire.Me>>,
  Expect<Same<Answer<S['documents']['deleteDocument']>, wire.DocumentDeleted>>,
  Expect<Same<Answer<S['golden']['remove']>, wire.GoldenDeleted>>,
];
