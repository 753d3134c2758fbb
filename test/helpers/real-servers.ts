import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// Real brokers and databases from Debian's packages, started by the test that needs them on 127.0.0.1 and a port of
// that test's own, each in its own process group, stopped by that group (never by name). Readiness is asked at the
// protocol level, without a driver, so a server that is up but not serving yet is not taken for ready. A server that
// cannot start throws with its own log: the test fails saying why, it is never skipped.

export interface RealServer {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** Its data folder (fresh per start, removed on stop). */
  readonly dir: string;
  stop(): Promise<void>;
}

type Probe = (port: number) => Promise<boolean>;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

const isRoot = userInfo().uid === 0;

/** Runs as `user` when this process is root (PostgreSQL and RabbitMQ refuse root), else as whoever runs the tests. */
function asUser(user: string, command: string, args: readonly string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', user, '--', command, ...args]] : [command, [...args]];
}

function ownedBy(user: string, path: string): void {
  if (!isRoot) return;
  execFileSync('chown', ['-R', `${user}:${user}`, path]);
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () => reject(new Error(`${what}: port ${port} on 127.0.0.1 is taken; stop what holds it`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Connects, sends `hello` (if any), and resolves true when the first bytes answered satisfy `ok`. */
function talk(port: number, hello: Buffer | undefined, ok: (answer: Buffer) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = Buffer.alloc(0);
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => hello && socket.write(hello));
    socket.on('data', (chunk) => {
      answer = Buffer.concat([answer, chunk]);
      if (ok(answer)) done(true);
    });
    socket.once('close', () => done(ok(answer)));
  });
}

interface Launch {
  readonly what: string;
  readonly port: number;
  readonly dir: string;
  readonly command: [string, string[]];
  readonly env?: NodeJS.ProcessEnv;
  readonly probe: Probe;
  readonly deadlineMs: number;
  /** Processes the server needs first (epmd for RabbitMQ), stopped with it. */
  readonly before?: readonly ChildProcess[];
}

async function launch({ what, port, dir, command, env, probe, deadlineMs, before = [] }: Launch): Promise<RealServer> {
  let log = '';
  const child = spawn(command[0], command[1], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  child.stdout!.on('data', (chunk) => (log = (log + chunk).slice(-8000)));
  child.stderr!.on('data', (chunk) => (log = (log + chunk).slice(-8000)));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const stop = async () => {
    for (const process_ of [child, ...before]) {
      killGroup(process_, 'SIGTERM');
      const gone = await waitExit(process_, 5000);
      if (!gone) killGroup(process_, 'SIGKILL');
      running.delete(process_);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`${what} exited (code ${exited}) before serving on 127.0.0.1:${port}. Its log:\n${log}`);
    }
    if (await probe(port)) return { port, host: '127.0.0.1', dir, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} did not serve on 127.0.0.1:${port} within ${deadlineMs} ms. Its log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function freshDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `autotrace-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** redis-server, no persistence. Ready when PING answers +PONG. */
export async function startRedis(port: number): Promise<RealServer> {
  await assertPortFree(port, 'Redis');
  const dir = freshDir('redis');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
  const probe: Probe = (p) => talk(p, Buffer.from('PING\r\n'), (answer) => answer.toString().startsWith('+PONG'));
  return launch({ what: 'redis-server', port, dir, command: ['redis-server', args], probe, deadlineMs: 10_000 });
}

/** nats-server. Ready when it greets a connection with INFO. */
export async function startNats(port: number): Promise<RealServer> {
  await assertPortFree(port, 'NATS');
  const dir = freshDir('nats');
  const probe: Probe = (p) => talk(p, undefined, (answer) => answer.toString().startsWith('INFO '));
  return launch({ what: 'nats-server', port, dir, command: ['nats-server', ['-p', String(port), '-a', '127.0.0.1']], probe, deadlineMs: 10_000 });
}

function postgresBin(name: string): string {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').sort().reverse();
    } catch {
      return [];
    }
  })();
  // Debian's package keeps the server binaries out of PATH; an image may have them on it.
  return versions.length > 0 ? join('/usr/lib/postgresql', versions[0]!, 'bin', name) : name;
}

function onPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/**
 * PostgreSQL: a fresh cluster (trust authentication, user `postgres`, database `postgres`). Ready when pg_isready
 * says the server accepts connections (not merely that the port is open: it refuses them while starting).
 */
export async function startPostgres(port: number): Promise<RealServer> {
  await assertPortFree(port, 'PostgreSQL');
  const dir = freshDir('postgres');
  ownedBy('postgres', dir);
  const bin = (name: string) => (onPath(name) ? name : postgresBin(name));
  const data = join(dir, 'data');
  const [initCommand, initArgs] = asUser('postgres', bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = await new Promise<{ code: number | null; log: string }>((resolve) => {
    let log = '';
    const child = spawn(initCommand, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (log += chunk));
    child.stderr.on('data', (chunk) => (log += chunk));
    child.on('close', (code) => resolve({ code, log }));
  });
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL initdb failed (code ${init.code}):\n${init.log}`);
  }
  const command = asUser('postgres', bin('postgres'), ['-D', data, '-p', String(port), '-k', dir, '-h', '127.0.0.1', '-c', 'fsync=off']);
  const probe: Probe = (p) =>
    new Promise((resolve) => {
      const child = spawn(bin('pg_isready'), ['-h', '127.0.0.1', '-p', String(p), '-U', 'postgres', '-t', '1'], { stdio: 'ignore' });
      child.on('close', (code) => resolve(code === 0));
      child.on('error', () => resolve(false));
    });
  return launch({ what: 'postgres', port, dir, command, probe, deadlineMs: 30_000 });
}

/**
 * MariaDB: a fresh data folder, grant tables skipped (any user, no password). Ready when it sends its handshake
 * packet (protocol version 10) to a new connection.
 */
export async function startMariadb(port: number): Promise<RealServer> {
  await assertPortFree(port, 'MariaDB');
  const dir = freshDir('mariadb');
  const data = join(dir, 'data');
  mkdirSync(data);
  const user = isRoot ? ['--user=mysql'] : [];
  ownedBy('mysql', dir);
  const install = await new Promise<{ code: number | null; log: string }>((resolve) => {
    let log = '';
    const child = spawn('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (log += chunk));
    child.stderr.on('data', (chunk) => (log += chunk));
    child.on('close', (code) => resolve({ code, log }));
  });
  if (install.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (code ${install.code}):\n${install.log}`);
  }
  const args = [
    '--no-defaults', `--datadir=${data}`, `--port=${port}`, `--socket=${join(dir, 'my.sock')}`, '--bind-address=127.0.0.1',
    ...user, '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=32M', '--skip-grant-tables',
    `--pid-file=${join(dir, 'mariadb.pid')}`,
  ];
  // The handshake: a 4-byte header then protocol version 10. An error packet (0xff) means not ready yet.
  const probe: Probe = (p) => talk(p, undefined, (answer) => answer.length > 4 && answer[4] === 10);
  return launch({ what: 'mariadbd', port, dir, command: ['mariadbd', args], probe, deadlineMs: 30_000 });
}

function rabbitmqScript(): string {
  const files = execFileSync('dpkg', ['-L', 'rabbitmq-server'], { encoding: 'utf8' }).split('\n');
  const script = files.find((file) => file.endsWith('rabbitmq/bin/rabbitmq-server'));
  if (!script) throw new Error('RabbitMQ: the rabbitmq-server package is not installed (bash .ci/run installs it)');
  return script;
}

/**
 * RabbitMQ with everything of its own (node name, ports, folders, cookie) and an epmd started here, so Erlang leaves
 * no daemon behind. `distPort` must differ from `port`; epmd listens on `port + 2`. Ready when an AMQP 0-9-1
 * protocol header gets a Connection.Start method frame back.
 */
export async function startRabbitmq(port: number): Promise<RealServer> {
  const epmdPort = port + 2;
  const distPort = port + 1;
  for (const [p, what] of [[port, 'RabbitMQ'], [distPort, 'RabbitMQ distribution'], [epmdPort, 'epmd']] as const) await assertPortFree(p, what);
  const dir = freshDir('rabbitmq');
  const config = join(dir, 'rabbitmq.conf');
  writeFileSync(config, 'log.console = true\ndisk_free_limit.absolute = 1MB\nloopback_users = none\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  ownedBy('rabbitmq', dir);
  const epmd = spawn(...asUser('rabbitmq', 'epmd', ['-port', String(epmdPort), '-address', '127.0.0.1']), { detached: true, stdio: 'ignore', env: { ...process.env, HOME: dir } });
  running.add(epmd);
  const env: Record<string, string> = {
    HOME: dir,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_NODENAME: `autotrace${port}@localhost`,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    ERL_EPMD_PORT: String(epmdPort),
  };
  const script = rabbitmqScript();
  const command: [string, string[]] = isRoot
    ? ['runuser', ['-u', 'rabbitmq', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), script]]
    : [script, []];
  const amqpHeader = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
  // A method frame (type 1) on channel 0 is Connection.Start: the broker is up and speaking AMQP.
  const probe: Probe = (p) => talk(p, amqpHeader, (answer) => answer.length >= 7 && answer[0] === 1);
  return launch({ what: 'rabbitmq-server', port, dir, command, env, probe, deadlineMs: 60_000, before: [epmd] });
}
