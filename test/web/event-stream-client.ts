// Reading a server-sent event stream in a test, as a browser's EventSource would parse it.
export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface EventStreamClient {
  readonly status: number;
  readonly headers: Headers;
  /** The next event (heartbeat comments skipped); fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  // A read left waiting by a timed-out next() is the next call's: its chunk must not be lost.
  let reading: ReturnType<typeof reader.read> | null = null;
  const next = async (timeoutMs = 10_000): Promise<StreamEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = block.split('\n').filter((line) => !line.startsWith(':'));
        const event = fields.find((line) => line.startsWith('event: '))?.slice(7);
        const data = fields.find((line) => line.startsWith('data: '))?.slice(6);
        if (event !== undefined && data !== undefined) return { event, data: JSON.parse(data) };
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event from ${url} within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no event from ${url} within ${timeoutMs} ms`)), left)));
      reading ??= reader.read();
      const chunk = await Promise.race([reading, timeout]).finally(() => clearTimeout(timer));
      reading = null;
      if (chunk.done) throw new Error(`${url}: the stream ended`);
      buffer += chunk.value;
    }
  };
  return { status: response.status, headers: response.headers, next, close: () => abort.abort() };
}
