import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The public CI (.github/workflows/ci.yml) runs the suite against real MongoDB servers in Docker, which
 * this machine does not have: so its shape is checked here instead of by running it.
 */
const ROOT = join(__dirname, '..');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Service {
  image: string;
  command?: string;
  ports?: string[];
  options?: string;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix: Record<string, unknown[]> };
  services?: Record<string, Service>;
  env?: Record<string, string>;
  steps: Step[];
}

const workflow = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
  on: unknown;
  jobs: Record<string, Job>;
};

/** The README's own test command: the first line of a bash block, in "Run it", that runs the suites. */
function readmeTestCommand(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Run it'))!;
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
  const line = blocks
    .flatMap((block) => block.split('\n'))
    .find((candidate) => /#.*\bsuites?\b/.test(candidate))!;
  return line.replace(/#.*$/, '').trim();
}

const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));
const databaseJobs = ['replica-set', 'standalone'] as const;

describe('the public CI workflow (.github/workflows/ci.yml)', () => {
  it('reads the test command from the README', () => {
    expect(readmeTestCommand()).toBe('npm test');
  });

  it('runs on every push and pull request', () => {
    expect(workflow.on).toEqual({ push: null, pull_request: null });
  });

  it('has a job for the static checks and one per database shape', () => {
    expect(Object.keys(workflow.jobs).sort()).toEqual(['checks', 'replica-set', 'standalone']);
  });

  it.each(Object.keys(workflow.jobs))('job %s: npm ci before anything else', (id) => {
    const job = workflow.jobs[id];
    expect(job['runs-on']).toBe('ubuntu-latest');
    const npmRuns = runs(job).filter((run) => run.startsWith('npm '));
    expect(npmRuns[0]).toBe('npm ci');
  });

  // Node 20 reached end of life in April 2026: the suite runs on both supported lines (22 and 24 LTS).
  const nodeVersionOf = (job: Job) =>
    job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version'];

  it('checks the code on Node 24', () => {
    expect(nodeVersionOf(workflow.jobs.checks)).toBe(24);
  });

  it.each(databaseJobs)('job %s runs the suite on Node 22 and 24', (id) => {
    const job = workflow.jobs[id];
    expect(job.strategy!.matrix.node).toEqual([22, 24]);
    expect(nodeVersionOf(job)).toBe('${{ matrix.node }}');
  });

  it('lints, checks the format, typechecks and builds', () => {
    expect(runs(workflow.jobs.checks)).toEqual([
      'npm ci',
      'npm run lint',
      'npm run format:check',
      'npm run typecheck',
      'npm run build',
    ]);
  });

  it.each(databaseJobs)('job %s runs exactly the README test command, last', (id) => {
    const jobRuns = runs(workflow.jobs[id]);
    expect(jobRuns[jobRuns.length - 1]).toBe(readmeTestCommand());
  });

  it.each(databaseJobs)(
    'job %s has MongoDB and Redis as services, each with a health check',
    (id) => {
      const services = workflow.jobs[id].services!;
      expect(Object.keys(services).sort()).toEqual(['mongodb', 'redis']);
      expect(services.mongodb.image).toMatch(/^mongo:/);
      expect(services.mongodb.ports).toEqual(['27017:27017']);
      expect(services.redis.image).toMatch(/^redis:/);
      expect(services.redis.ports).toEqual(['6379:6379']);
      for (const service of Object.values(services)) {
        expect(service.options).toMatch(/--health-cmd "[^"]+"/);
        expect(service.options).toMatch(/--health-retries \d+/);
      }
    },
  );

  describe('the replica-set job', () => {
    const job = workflow.jobs['replica-set'];

    it('runs on MongoDB 7 and 8, the official image', () => {
      const versions = job.strategy!.matrix.mongodb.map(String);
      expect(versions.map((version) => version.split('.')[0])).toEqual(['7', '8']);
      expect(job.services!.mongodb.image).toBe('mongo:${{ matrix.mongodb }}');
    });

    it('starts mongod as replica set rs0, then initiates it and waits for a PRIMARY', () => {
      expect(job.services!.mongodb.command).toMatch(/(^|\s)--replSet rs0(\s|$)/);
      const init = runs(job).find((run) => run.includes('rs.initiate'));
      expect(init).toBeDefined();
      expect(init).toContain('docker exec ${{ job.services.mongodb.id }} mongosh');
      expect(init).toContain('_id: "rs0"');
      expect(init).toContain('isWritablePrimary');
      // Initiated before the suite runs.
      expect(runs(job).indexOf(init!)).toBeLessThan(runs(job).indexOf(readmeTestCommand()));
    });

    it('points the suite at the replica set with transactions on', () => {
      const uri = new URL(job.env!.MONGO_URI);
      expect(`${uri.hostname}:${uri.port}`).toBe('127.0.0.1:27017');
      expect(uri.searchParams.get('replicaSet')).toBe('rs0');
      expect(job.env!.MONGO_TRANSACTIONS).toBe('on');
    });
  });

  describe('the standalone job', () => {
    const job = workflow.jobs.standalone;

    it('runs a plain mongod (no replica set) with transactions off', () => {
      expect(job.services!.mongodb.command).toBeUndefined();
      const uri = new URL(job.env!.MONGO_URI);
      expect(`${uri.hostname}:${uri.port}`).toBe('127.0.0.1:27017');
      expect(uri.searchParams.has('replicaSet')).toBe(false);
      expect(job.env!.MONGO_TRANSACTIONS).toBe('off');
      expect(runs(job).some((run) => run.includes('rs.initiate'))).toBe(false);
    });
  });
});
