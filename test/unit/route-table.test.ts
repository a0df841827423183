import { ALL_ROUTES } from '../../lambdas/http/app';
import { ROUTE_TABLE } from '../../lambdas/http/route-table';
import { compileRoutes, matchRoute } from '../../lambdas/http/router';

describe('the route table and the app', () => {
  it('names every route once, by its action, and by its method and path once', () => {
    const actions = ROUTE_TABLE.map((r) => r.action);
    const endpoints = ROUTE_TABLE.map((r) => `${r.method} ${r.path}`);

    expect(new Set(actions).size).toBe(ROUTE_TABLE.length);
    expect(new Set(endpoints).size).toBe(ROUTE_TABLE.length);
  });

  it('has exactly one handler for every declaration, and no handler without one', () => {
    const handled = ALL_ROUTES.map((r) => r.action).sort();

    expect(handled).toEqual(ROUTE_TABLE.map((r) => r.action).sort());
    expect(new Set(handled).size).toBe(handled.length);
    for (const route of ALL_ROUTES) {
      const { handle, ...declaration } = route;
      expect(typeof handle).toBe('function');
      expect(declaration).toEqual(ROUTE_TABLE.find((r) => r.action === route.action));
    }
  });

  it('routes every declared path, and the short forms of the short routes, to their declaration', () => {
    const compiled = compileRoutes(ALL_ROUTES);
    const sample = (path: string) => path.replace(/:(\w+)/g, (_, name) => `${name}-1`);
    for (const route of ROUTE_TABLE) {
      const match = matchRoute(compiled, route.method, sample(route.path));
      const action = match !== null && match !== 'method' && match.compiled.route.action;
      // a route served only in its short form (OpenAI's path) has no form with a project in it
      expect(action).toBe(route.shortOnly ? false : route.action);
      const short = matchRoute(compiled, route.method, sample(route.path.replace('/projects/:project_id', '')));
      const shortAction =
        short !== null && short !== 'method' && short.compiled.shortForm && short.compiled.route.action;
      expect({ action: route.action, short: shortAction === route.action }).toEqual({
        action: route.action,
        short: route.short === true || route.shortOnly === true,
      });
    }
  });
});
