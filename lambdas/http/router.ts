import { servedPaths } from './route-table';
import type { Route } from './types';

export interface CompiledRoute {
  route: Route;
  method: string;
  regex: RegExp;
  names: string[];
  /** true for the `/v1/documents...` style forms that act on a project key's own project */
  shortForm: boolean;
}

export interface Match {
  compiled: CompiledRoute;
  params: Record<string, string>;
}

function compileOne(route: Route, path: string, shortForm: boolean): CompiledRoute {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(seg.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, method: route.method, regex: new RegExp(`^${source}/?$`), names, shortForm };
}

export function compileRoutes(routes: Route[]): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  for (const r of routes) {
    for (const path of servedPaths(r)) out.push(compileOne(r, path, path !== r.path));
  }
  return out;
}

/** The route for a method and path: `null` when no path matches, `'method'` when only the method is wrong. */
export function matchRoute(routes: CompiledRoute[], method: string, path: string): Match | 'method' | null {
  let pathMatched = false;
  for (const compiled of routes) {
    const m = compiled.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (compiled.method !== method) continue;
    const params: Record<string, string> = {};
    compiled.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(m[i + 1]);
      } catch {
        params[name] = m[i + 1];
      }
    });
    return { compiled, params };
  }
  return pathMatched ? 'method' : null;
}
