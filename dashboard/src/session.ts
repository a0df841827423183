/** The signed-in key lives in sessionStorage only: it goes with the tab, and sign-out clears it. */
const KEY = 'oprag.key';
const PROJECT = 'oprag.project';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  project: (): string | null => sessionStorage.getItem(PROJECT),
  save(key: string, projectId: string | null) {
    sessionStorage.setItem(KEY, key);
    if (projectId) sessionStorage.setItem(PROJECT, projectId);
    else sessionStorage.removeItem(PROJECT);
  },
  clear() {
    sessionStorage.clear();
  },
};

export type KeyKind = 'company' | 'project';

/** Which kind of key a string claims to be, from its prefix. */
export function kindOf(key: string): KeyKind | null {
  if (/^oprag_ak_[0-9A-Za-z]{40}$/.test(key)) return 'company';
  if (/^oprag_pk_[0-9A-Za-z]{40}$/.test(key)) return 'project';
  return null;
}
