import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every temporary folder the tests make (under os.tmpdir(), which reads TMPDIR) goes inside one folder of this run,
// removed when the run ends: test files make their projects, servers' data and packed tarballs there and leave them,
// which left about thirty folders in /tmp after each run.
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'autotrace-tests-'));
  // As /tmp is (world-writable, sticky): servers the tests start as other users (PostgreSQL, MariaDB) make their own
  // temporary files in it.
  chmodSync(root, 0o1777);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
