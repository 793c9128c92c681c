import type { RouteOptions } from 'fastify';

interface KnownRoute {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/sales/:id/purchase` -> /^\/api\/sales\/[^/]+\/purchase$/; `*` matches the rest of the path. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment === '*'
          ? '.*'
          : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * Every route's path pattern and methods, filled by fastify's onRoute hook, so that a request that found
 * no route can be told apart: a known path with another method is 405 with `Allow`, the rest 404. It is
 * only read on that error path, never for a matched request.
 */
export class RouteTable {
  private readonly routes = new Map<string, KnownRoute>();

  add(route: Pick<RouteOptions, 'url' | 'method'>): void {
    // A catch-all (e.g. a CORS plugin's `OPTIONS *`) would make every path "known": an unknown path
    // would answer 405 instead of 404.
    if (route.url === '*' || route.url === '/*') return;
    const known = this.routes.get(route.url) ?? {
      pattern: toPattern(route.url),
      methods: new Set(),
    };
    for (const method of [route.method].flat()) known.methods.add(method.toUpperCase());
    this.routes.set(route.url, known);
  }

  /** The methods some route answers on this path, sorted; empty when no route has this path. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes.values()) {
      if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    }
    return [...methods].sort();
  }
}
