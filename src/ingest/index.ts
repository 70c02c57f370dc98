export { CloudApi } from './cloud-api.js';
export type { CloudApiOptions } from './cloud-api.js';
export { IngestServer } from './http-server.js';
export { RunPage } from './run-page.js';
export { k6Version, sanitizeCloudConfig } from './cloud-config.js';
