import type { ProjectAccess } from './access';
import type { Context } from './context';
import { publicDocument } from './documents';
import { publicProject } from './projects';

/**
 * The NDJSON export of a project: the project, every document with its metadata and full
 * extracted text, every golden question. Enough to rebuild the project elsewhere.
 */
export function makeExportServices(ctx: Context, extractedText: (p: string, d: string) => Promise<string | null>) {
  return {
    async exportProject({ project }: ProjectAccess<'project.export'>): Promise<string> {
      const records = ctx.store.forProject(project.id);
      const lines: string[] = [JSON.stringify({ type: 'project', ...publicProject(project) })];
      let after: string | null = null;
      do {
        const page = await records.listDocuments({ limit: 200, after });
        for (const d of page.items) {
          const text = await extractedText(project.id, d.id);
          lines.push(JSON.stringify({ type: 'document', ...publicDocument(d), text }));
        }
        after = page.next_cursor;
      } while (after);
      for (const q of await records.listGoldenQuestions())
        lines.push(JSON.stringify({ type: 'golden_question', ...q }));
      return `${lines.join('\n')}\n`;
    },
  };
}
