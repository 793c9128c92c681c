import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './support/processes';

/**
 * docker-compose.yml and the load balancer's config, read as data: there is no Docker engine where the
 * tests run, so what `docker compose up` depends on is checked here instead (services, health checks,
 * start order, variables, and that nginx sends traffic to both instances).
 */
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true, // the two app instances share one definition (`<<: *app`)
}) as {
  services: Record<string, Service>;
  networks: Record<string, { ipam: { config: Array<{ subnet: string; ip_range: string }> } }>;
};
const nginx = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
const services = compose.services;
const APPS = ['app1', 'app2'];
const healthTest = (name: string) => services[name].healthcheck?.test.join(' ') ?? '';

/** Whether an IPv4 address lies in a CIDR block. */
function inCidr(address: string, cidr: string): boolean {
  const toNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base);
  return toNumber(address) >= start && toNumber(address) < start + size;
}

describe('docker-compose.yml (parsed; no Docker engine here)', () => {
  it('runs MongoDB, Redis, two app instances and a load balancer', () => {
    expect(Object.keys(services).sort()).toEqual(['app1', 'app2', 'lb', 'mongo', 'redis']);
  });

  it('runs MongoDB as a replica set that its health check initiates and reports once primary', () => {
    expect(services.mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(healthTest('mongo')).toMatch(/rs\.initiate\(\{ _id: 'rs0'/);
    expect(healthTest('mongo')).toMatch(/host: 'mongo:27017'/);
    expect(healthTest('mongo')).toMatch(/isWritablePrimary\) quit\(1\)/);
  });

  it('gives every service a health check, and starts each only after what it needs is healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.healthcheck?.test[0]]).toEqual([name, 'CMD']);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect([name, dependency, condition]).toEqual([name, dependency, 'service_healthy']);
        expect(services[dependency].healthcheck).toBeDefined();
      }
    }
    expect(healthTest('redis')).toBe('CMD redis-cli ping');
    for (const app of APPS) {
      expect(Object.keys(services[app].depends_on ?? {}).sort()).toEqual(['mongo', 'redis']);
    }
    expect(Object.keys(services.lb.depends_on ?? {}).sort()).toEqual(APPS);
  });

  it('builds both app instances from the Dockerfile with production settings', () => {
    for (const app of APPS) {
      const env = services[app].environment!;
      expect(services[app].build).toBe('.');
      expect(env.NODE_ENV).toBe('production');
      expect(env.MONGO_URI).toMatch(/^mongodb:\/\/mongo:27017\/[\w-]+\?replicaSet=rs0$/);
      expect(env.MONGO_TRANSACTIONS).toBe('on');
      expect(env.REDIS_URL).toMatch(/^redis:\/\/redis:6379\/\d+$/);
      // No default secret: compose refuses to start without JWT_SECRET in the environment.
      expect(env.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?[^}]+\}$/);
      expect(services[app].ports).toBeUndefined(); // reachable only through the load balancer
    }
    expect(services.app1.environment).toEqual(services.app2.environment);
  });

  it('trusts exactly the load balancer, at a fixed address no other container can get', () => {
    const network = compose.networks.backend.ipam.config[0];
    const lbAddress = (services.lb.networks as Record<string, { ipv4_address: string }>).backend
      .ipv4_address;
    expect(inCidr(lbAddress, network.subnet)).toBe(true);
    expect(inCidr(lbAddress, network.ip_range)).toBe(false);
    for (const app of APPS) expect(services[app].environment!.TRUST_PROXY).toBe(lbAddress);
  });

  it('publishes only the load balancer, configured from deploy/nginx.conf', () => {
    expect(services.lb.image).toMatch(/^nginx:/);
    expect(services.lb.ports).toEqual(['8080:80']);
    expect(services.lb.volumes).toEqual(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']);
    for (const name of ['mongo', 'redis']) expect(services[name].ports).toBeUndefined();
  });
});

describe('deploy/nginx.conf', () => {
  it('balances over both app instances', () => {
    const upstream = /upstream flash_sale \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    expect(upstream).toMatch(/server app1:5000\b/);
    expect(upstream).toMatch(/server app2:5000\b/);
    expect(nginx.match(/proxy_pass http:\/\/flash_sale;/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('passes the client address in X-Forwarded-For', () => {
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });

  it('does not buffer the live sale streams', () => {
    const events = /location ~ \^\/api\/sales\/\[\^\/\]\+\/events\$ \{([^}]*)\}/.exec(nginx)?.[1];
    expect(events).toMatch(/proxy_buffering off;/);
    expect(events).toMatch(/proxy_read_timeout/);
  });

  it('never replays a purchase on the other instance', () => {
    expect(nginx).not.toMatch(/^\s*proxy_next_upstream[^;#]*non_idempotent/m);
  });
});
