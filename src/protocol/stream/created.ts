// created (relayd → client): the run exists; stream its batches from seq 1.
//
//   {"type":"created","runId":"1234","url":"https://app.k6.io/runs/1234","provisional":false}
//
// `url` is the run's page: the cloud's link, or relayd's own run page while the run is provisional
// (the cloud could not be reached at create; the run will be created there later, with its data).

export const CREATED = 'created';

export interface CreatedMessage {
  type: typeof CREATED;
  runId: string;
  url: string | null;
  provisional: boolean;
}

export function isCreatedMessage(value: Record<string, unknown>): value is CreatedMessage & Record<string, unknown> {
  return (
    value.type === CREATED &&
    typeof value.runId === 'string' &&
    (value.url === null || typeof value.url === 'string') &&
    typeof value.provisional === 'boolean'
  );
}
