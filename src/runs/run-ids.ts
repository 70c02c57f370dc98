// Which run ids relayd may adopt. A push, finish or events call for an id relayd does not know is a
// run created elsewhere (K6_CLOUD_PUSH_REF_ID, K6_CLOUDRUN_TEST_RUN_ID, the k6-operator, or a relayd
// that lost its store) when the id can be a cloud run id: a positive int64 in decimal, as the cloud
// issues them and k6 parses them. relayd's own provisional ids can never be adopted: the cloud does
// not know them, so a provisional id relayd has no record of is data that cannot go anywhere.

const INT64_MAX = 9_223_372_036_854_775_807n;

/** relayd's provisional ids: 17 digits with a leading 9 (RunRegistry mints them). */
const PROVISIONAL_ID = /^9\d{16}$/;
const CLOUD_ID = /^[1-9]\d{0,18}$/;

export function isProvisionalId(id: string): boolean {
  return PROVISIONAL_ID.test(id);
}

/** Why relayd cannot adopt an id it does not know, for the 404 the runner gets; null if it can. */
export function whyNotAdoptable(id: string): string | null {
  if (isProvisionalId(id)) {
    return `${id} is a provisional id of relayd (17 digits starting with 9) that this relayd has no record of (its data dir was lost or replaced, or another relayd issued it); the cloud does not know provisional ids, so data for it cannot be forwarded`;
  }
  if (!/^\d+$/.test(id)) return `${id} is not a cloud run id (those are decimal numbers), so it cannot be a run created elsewhere`;
  if (!CLOUD_ID.test(id) || BigInt(id) > INT64_MAX) return `${id} is not a possible cloud run id (a positive 64-bit integer without leading zeros)`;
  return null;
}
