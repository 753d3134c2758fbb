import { spawn, type ChildProcess } from 'node:child_process';

/** Starts a Node service and resolves with its port once it prints `{"port": N}` on its first line. */
export function startService(
  script: string,
  env: Record<string, string>,
  node = process.execPath,
): Promise<{ port: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n')) {
        try {
          resolve({ port: (JSON.parse(line!) as { port: number }).port, child });
        } catch (error) {
          reject(new Error(`${script} printed ${line}: ${String(error)}`));
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code} before listening:\n${stderr}`)));
  });
}

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
