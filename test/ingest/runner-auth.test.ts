import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRelaydError } from '../../src/errors.js';
import { RunnerAuth } from '../../src/ingest/index.js';

const unauthorized = (detail: RegExp) => (err: unknown) => isRelaydError(err) && err.code === 'RELAYD_UNAUTHORIZED' && err.status === 401 && detail.test(err.message);

describe('runner auth', () => {
  it('lets everyone in when no token is configured', () => {
    const auth = new RunnerAuth([]);
    assert.equal(auth.required, false);
    auth.check(undefined);
    auth.check('Token anything');
  });

  it('takes any of the accepted tokens, in k6\'s Token scheme or as a Bearer', () => {
    const auth = new RunnerAuth(['alpha-token', 'beta-token']);
    assert.equal(auth.required, true);
    auth.check('Token alpha-token');
    auth.check('Token beta-token');
    auth.check('Bearer beta-token');
    auth.check('token   alpha-token  ');
  });

  it('refuses a missing header, another scheme, and a token that is not accepted', () => {
    const auth = new RunnerAuth(['alpha-token']);
    assert.throws(() => auth.check(undefined), unauthorized(/no "Authorization: Token <t>" header/));
    assert.throws(() => auth.check('Basic YWxwaGE6dG9rZW4='), unauthorized(/no "Authorization/));
    assert.throws(() => auth.check('Token alpha-token-but-longer'), unauthorized(/not accepted/));
    assert.throws(() => auth.check('Token alpha'), unauthorized(/not accepted/));
    assert.throws(() => auth.check('Token '), unauthorized(/no "Authorization/));
  });

  it('never puts the presented token in its error', () => {
    const auth = new RunnerAuth(['alpha-token']);
    assert.throws(() => auth.check('Token guessed-secret-42'), (err: unknown) => err instanceof Error && !err.message.includes('guessed-secret-42'));
  });
});
