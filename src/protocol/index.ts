// Public API of the wire-format room: pure decoders and encoders for everything k6 `--out cloud`
// sends (§3 create, §4 v1 push, §6 v2 push, §7 finish). No I/O besides zlib.

export { type DecodeLimits, gunzipBounded } from './compression.js';
export { snappyCompress, snappyUncompressBounded } from './snappy.js';
export { RunStatus, type RunStatusCode, isRunStatus } from './run-status.js';
export { type CreateTestRun, type FinishTestRun, decodeCreateBody, decodeFinishBody } from './test-run.js';
export { MultipartCreateScanner, isMultipartForm, isTarHeader } from './multipart-create.js';
export { type OrchestratorEvent, decodeEventsBody } from './orchestrator-events.js';
export { type V1Envelope, decodeV1Push } from './v1.js';
export { decodeMetricSet, decodeV2Push, encodeMetricSet } from './v2.js';
export { rewriteTestRunId } from './v2-rewrite.js';
export { scanMetricSet, type V2Scan } from './v2-scan.js';
export { decompressV2Push, scanV2Push } from './v2-body.js';
export {
  ACK,
  BATCH,
  CREATE,
  CREATED,
  ERROR,
  FINISH,
  FINISHED,
  RESUME,
  RESUMED,
  STREAM_PATH,
  createBodyOf,
  decodeClientMessage,
  decodeServerMessage,
  finishBodyOf,
  type AckMessage,
  type BatchMessage,
  type ClientMessage,
  type CreateMessage,
  type CreatedMessage,
  type ErrorMessage,
  type FinishMessage,
  type FinishedMessage,
  type ResumeMessage,
  type ResumedMessage,
  type ServerMessage,
  type StreamMetricType,
  type StreamSample,
} from './stream/index.js';
export {
  type BucketSpan,
  type CounterValue,
  type GaugeValue,
  type Label,
  type Metric,
  type MetricSet,
  MetricType,
  type RateValue,
  type Samples,
  type TimeSeries,
  type Timestamp,
  type TrendHdrValue,
} from './v2-schema.js';
