import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunStatus, decodeCreateBody, decodeEventsBody, decodeFinishBody } from '../../src/protocol/index.js';

function json(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

describe('decodeCreateBody', () => {
  it('decodes the body k6 v0.49.0 sent, with Go-escaped threshold sources', () => {
    const body = '{"name":"script.js","vus":10,"thresholds":{"http_req_duration":["p(95)\\u003c500"]},"duration":60}';
    assert.deepEqual(decodeCreateBody(json(body)), {
      name: 'script.js',
      vus: 10,
      thresholds: { http_req_duration: ['p(95)<500'] },
      duration: 60,
    });
  });

  it('keeps project_id and drops keys it does not know', () => {
    assert.deepEqual(decodeCreateBody(json({ name: 'k6 test', project_id: 7, extra: true })), { name: 'k6 test', project_id: 7 });
  });

  it('keeps the k6-operator’s instances and process_thresholds', () => {
    const body = { name: 'k6-sample', vus: 10, thresholds: {}, duration: 38, process_thresholds: true, instances: 3 };
    assert.deepEqual(decodeCreateBody(json(body)), body);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['an array', [], /expected a JSON object, got an array/],
    ['a missing name', { vus: 1 }, /name: expected a non-empty string, got nothing/],
    ['an empty name', { name: '' }, /name: expected a non-empty string/],
    ['fractional vus', { name: 'a', vus: 1.5 }, /vus: expected an integer ≥ 0, got 1\.5/],
    ['a duration below −1', { name: 'a', duration: -2 }, /duration: expected an integer ≥ -1, got -2/],
    ['a string project_id', { name: 'a', project_id: '7' }, /project_id: expected an integer ≥ 0, got "7"/],
    ['thresholds as an array', { name: 'a', thresholds: [] }, /thresholds: expected an object, got an array/],
    ['a threshold source that is not a string', { name: 'a', thresholds: { checks: [1] } }, /thresholds\.checks: expected an array of strings/],
    ['zero instances', { name: 'a', instances: 0 }, /instances: expected an integer ≥ 1, got 0/],
    ['process_thresholds that is not a boolean', { name: 'a', process_thresholds: 'yes' }, /process_thresholds: expected a boolean, got "yes"/],
  ];
  for (const [what, body, message] of invalid) {
    it(`rejects ${what} with RELAYD_BAD_CREATE`, () => {
      assert.throws(() => decodeCreateBody(json(body)), { code: 'RELAYD_BAD_CREATE', message });
    });
  }

  it('rejects invalid JSON with RELAYD_BAD_JSON', () => {
    assert.throws(() => decodeCreateBody(json('{"name":')), { code: 'RELAYD_BAD_JSON', message: /^body is not valid JSON: / });
  });
});

describe('decodeFinishBody', () => {
  it('decodes the body k6 v0.49.0 sent', () => {
    const body = '{"result_status":0,"run_status":3,"thresholds":{"http_req_duration":{"p(95)\\u003c500":false}}}';
    assert.deepEqual(decodeFinishBody(json(body)), {
      result_status: 0,
      run_status: RunStatus.Finished,
      thresholds: { http_req_duration: { 'p(95)<500': false } },
    });
  });

  it('accepts every run status k6 or the cloud can report', () => {
    for (const runStatus of Object.values(RunStatus)) {
      assert.equal(decodeFinishBody(json({ result_status: 1, run_status: runStatus, thresholds: {} })).run_status, runStatus);
    }
  });

  const invalid: [string, unknown, RegExp][] = [
    ['null', 'null', /expected a JSON object, got null/],
    ['result_status 2', { result_status: 2, run_status: 3, thresholds: {} }, /result_status: expected 0 or 1, got 2/],
    ['run_status 2 (running)', { result_status: 0, run_status: 2, thresholds: {} }, /run_status: expected one of 3\.\.9, got 2/],
    ['a missing run_status', { result_status: 0, thresholds: {} }, /run_status: expected one of 3\.\.9, got nothing/],
    ['missing thresholds', { result_status: 0, run_status: 3 }, /thresholds: expected an object, got nothing/],
    ['threshold sources as an array', { result_status: 0, run_status: 3, thresholds: { checks: ['rate>0.9'] } }, /thresholds\.checks: expected an object, got an array/],
    ['a threshold result that is not a boolean', { result_status: 0, run_status: 3, thresholds: { checks: { 'rate>0.9': 0 } } }, /thresholds\.checks\.rate>0\.9: expected a boolean, got 0/],
  ];
  for (const [what, body, message] of invalid) {
    it(`rejects ${what} with RELAYD_BAD_FINISH`, () => {
      assert.throws(() => decodeFinishBody(json(body)), { code: 'RELAYD_BAD_FINISH', message });
    });
  }
});

describe('decodeEventsBody', () => {
  it('decodes the k6-operator’s error event', () => {
    const events = [{ event_type: 'TestRunErrorEvent', event: { origin: 'k6-operator', error_code: 8030, reason: 'job failed' } }];
    assert.deepEqual(decodeEventsBody(json(events)), events);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['an object', { event_type: 'TestRunAbortEvent' }, /expected a JSON array of events, got an object/],
    ['an event that is not an object', ['TestRunAbortEvent'], /\[0\]: expected an object/],
    ['an event without event_type', [{ event: {} }], /\[0\]\.event_type: expected a non-empty string, got nothing/],
  ];
  for (const [what, body, message] of invalid) {
    it(`rejects ${what} with RELAYD_BAD_EVENTS`, () => {
      assert.throws(() => decodeEventsBody(json(body)), { code: 'RELAYD_BAD_EVENTS', message });
    });
  }
});
