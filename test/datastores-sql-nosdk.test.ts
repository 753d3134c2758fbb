import { describe, expect, it } from 'vitest';
import { requireFromRepo } from './helpers/paths';

// No SDK registered in this process: a traced query site costs one check, and the call is made on the driver's own
// object, exactly as written.

describe('datastore sites without an SDK', () => {
  const runtime = requireFromRepo('./dist/runtime/index.js') as typeof import('../runtime/index');
  const { Pool } = requireFromRepo('pg') as typeof import('pg');
  const mysql = requireFromRepo('mysql2') as typeof import('mysql2');

  it('hands back the receiver itself: no facade, no span, no summarising', async () => {
    const pool = new Pool({ host: '127.0.0.1', port: 1 });
    const myPool = mysql.createPool({ host: '127.0.0.1', port: 1 });
    const site = { file: 'src/a.ts', line: 1, column: 1, querySummary: 'SELECT items' };
    try {
      expect(runtime.pg(site, pool)).toBe(pool);
      expect(runtime.mysql(site, myPool)).toBe(myPool);
      const promisePool = myPool.promise();
      expect(runtime.mysql(site, promisePool)).toBe(promisePool);
    } finally {
      await pool.end();
      await new Promise<void>((resolve) => myPool.end(() => resolve()));
    }
  });
});
