export { WebPages, MAX_EVENT_STREAMS } from './pages.js';
export type { WebPagesOptions } from './pages.js';
export { prefersHtml } from './accept.js';
export { ASSET_PATH } from './assets.js';
export type { RunSnapshot, RunUpdate } from './run-feed.js';
export type { RunListSnapshot, ListedRun } from './list-feed.js';
