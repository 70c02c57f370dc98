// Where the admin API lives, shared by the daemon's routes and the CLI's requests. Apart from the
// message schemas (admin-messages.ts), which only the CLI and the tests check against: the daemon
// never loads zod for them (it costs ~2 MiB of RSS at rest).
export const ADMIN_API_PREFIX = '/api/v1';
