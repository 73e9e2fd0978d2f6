// Step 4 starts astakos: from then on its sessions are expected (said, not blocking), while a
// session on cyclades or pithos still stops a step before its first batch, as before step 4.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { cleanupAll, cliIn as cli, usingServer } from './support.js';
import { sandboxWalk } from './helpers/walk.js';

after(cleanupAll);

describe('sessions once step 4 started astakos', { skip: !usingServer() && 'embedded PostgreSQL serves only this process' }, () => {
  test('step 5 runs beside an astakos gunicorn; 6.3 still stops on a cyclades one', async () => {
    const { cfg, urls, walk } = await sandboxWalk('started', 3);
    await walk.run('1');
    await walk.run('2.1');
    await walk.run('2.2');
    for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6']) await walk.confirm(id);

    const gunicorn = async (url: string) => {
      const c = new pg.Client({ connectionString: url, application_name: 'gunicorn' });
      await c.connect();
      return c;
    };
    // before 4, an astakos session stops step 4's successors as any other (4 itself is confirmed on the operator's word)
    const early = await gunicorn(urls.astakos);
    try {
      const refused = await cli(cfg, 'run', '5', '--accept-suggestions', '--answers', walk.answers);
      assert.equal(refused.code, 4, refused.err);
      assert.match(refused.err, /cannot run yet: 4 \(Start astakos and the quotaholder\) is pending/);
    } finally {
      await early.end();
    }
    await walk.confirm('4');

    const astakos = await gunicorn(urls.astakos);
    try {
      const r = await walk.run('5');
      assert.match(r.err, /1 session\(s\) of astakos \(started at an earlier step\) on the astakos database, expected: gunicorn from /);
      await walk.run('6.1');
      await walk.run('6.2');
      const cyclades = await gunicorn(urls.cyclades);
      try {
        const stopped = await cli(cfg, 'run', '6.3', '--accept-suggestions', '--answers', walk.answers);
        assert.equal(stopped.code, 1, stopped.err);
        assert.match(stopped.err, /cyclades has a session that is not snf-upgrade: gunicorn from \S+ .*; 6\.3 stopped before its first batch of this run, nothing half-done/);
      } finally {
        await cyclades.end();
      }
      await walk.run('6.3');
    } finally {
      await astakos.end();
    }
  });
});
