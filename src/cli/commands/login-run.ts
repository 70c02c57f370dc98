// The work of `relayd login`. The token is never printed back.
import { ConfigError, saveToken } from '../../config/index.js';

export async function runLogin(token: string): Promise<number> {
  const trimmed = token.trim();
  if (trimmed === '' || /\s/.test(trimmed)) throw new ConfigError(['--token: a token is one word, without spaces']);
  const path = await saveToken(process.env, trimmed);
  process.stdout.write(`relayd: token saved to ${path} (mode 0600); relayd start uses it for runners that send no token\n`);
  return 0;
}
