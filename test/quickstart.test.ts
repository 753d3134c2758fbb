import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpReceiver, type Received } from './helpers/otlp-receiver';
import { repoRoot } from './helpers/paths';

// The README's Quickstart, exactly as written, in a new project outside this repository (nothing resolves from here):
// the packed package stands in for `autotrace` from the registry; everything else comes from the npm registry. On the
// 2.x SDK line with this Node (20), and on the 3.x line with Node 22 (compat/ts6).

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const quickstart = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('\n## ', readme.indexOf('## Quickstart') + 5));
const shellBlocks = [...quickstart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));
const [recipe, line3x] = [shellBlocks[0]!, shellBlocks[1]![0]!];
const node22 = join(repoRoot, 'compat', 'ts6', 'node_modules', 'node', 'bin', 'node');

const received: Received[] = [];
let receiver: Server;
let endpoint = '';
let tarball = '';

beforeAll(async () => {
  ({ server: receiver, endpoint } = await otlpReceiver(received));
  const packDir = mkdtempSync(join(tmpdir(), 'autotrace-pack-'));
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { cwd: repoRoot, encoding: 'utf8' });
  expect(packed.status).toBe(0);
  tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
}, 120_000);
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const SERVICE = `import { createServer } from 'node:http';

const server = createServer(async (req, res) => {
  if (req.url === '/downstream') return void res.end('ok');
  const answer = await fetch(\`http://127.0.0.1:\${port()}/downstream\`);
  res.end(await answer.text());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(\`\${JSON.stringify({ port: port() })}\\n\`));
function port(): number {
  return (server.address() as { port: number }).port;
}
`;

/** Runs one README line in the project, `autotrace` as the packed tarball, with the given Node first on PATH. */
function shell(line: string, cwd: string, nodeBinDir: string) {
  const command = line.replace(/^npm install autotrace /, `npm install ${tarball} `);
  const result = spawnSync('bash', ['-c', command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${nodeBinDir}${delimiter}${process.env.PATH}`, npm_config_update_notifier: 'false' },
  });
  return { ...result, output: `${result.stdout}${result.stderr}` };
}

describe.each([
  ['the 2.x SDK line on Node 20', process.execPath, recipe],
  ['the 3.x SDK line on Node 22', node22, [line3x, ...recipe.slice(1)]],
])('Quickstart as written: %s', (_name, node, lines) => {
  it('installs without resolution or engine warnings and without an install script of its own, builds, runs, and a trace arrives at the OTLP endpoint', async () => {
    expect(lines).toHaveLength(5);
    const project = mkdtempSync(join(tmpdir(), 'autotrace-quickstart-'));
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'quickstart-service', private: true }, null, 2)}\n`);
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'server.ts'), SERVICE);
    const bin = dirname(node);
    for (const line of lines.slice(0, 4)) {
      const result = shell(line, project, bin);
      expect(result.status, `${line}\n${result.output}`).toBe(0);
      expect(result.output).not.toMatch(/ERESOLVE|EBADENGINE/);
      // npm 11 lists every dependency with an install script (`prepare` counts): autotrace has none. (protobufjs,
      // under the OTLP exporter, has one of its own.)
      expect(result.output).not.toMatch(/install-scripts\s+autotrace@/);
    }
    // Line 5 runs the service: with the receiver's address for the collector's.
    const run = lines[4]!.replace('http://localhost:4318', endpoint);
    received.length = 0;
    const child = spawn('bash', ['-c', `exec env ${run}`], { cwd: project, env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (line) => resolve(JSON.parse(String(line)).port));
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    expect(stderr).toBe('');
    const names = [...new Set(received.flatMap((r) => r.spanNames))].sort();
    // No router: the SERVER span is named by the method; the CLIENT span by the method and its url.template.
    expect(names).toEqual(['GET', 'GET /downstream']);
    expect(received[0]?.serviceName).toBe('quickstart-service');
  }, 300_000);
});
