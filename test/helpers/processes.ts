import { spawn, type ChildProcess } from 'node:child_process';

/** Runs a command to completion and returns its exit code and output. */
export function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `node <args>` and resolves once it prints `listening <port>` (on stdout or stderr): the child and its base
 * URL. Rejects with everything it printed if it exits first or is not listening within `timeoutMs`. `onSpawn` sees
 * the child at once, so a caller can stop it even when it never gets to listen.
 */
export function startListening(
  what: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  { timeoutMs = 20_000, onSpawn }: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const port = /listening (\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${port}` });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}):\n${output}`)));
  });
}
