/**
 * Request bodies are buffered only when a retry or a mirror needs to send them again (DESIGN §5),
 * and only up to MAX_REPLAY_BYTES — Envoy's default per-connection buffer limit. A larger body is
 * streamed to the upstream once; that request is simply not retried or mirrored (Envoy's
 * `retry_or_shadow_abandoned`).
 */

export const MAX_REPLAY_BYTES = 1024 * 1024;

export type RequestBody =
  /** No body (GET, HEAD, or empty). */
  | { kind: "none" }
  /** Buffered: can be sent any number of times. */
  | { kind: "buffered"; bytes: Uint8Array }
  /** Too large to buffer: one stream, sent once. */
  | { kind: "stream"; stream: ReadableStream<Uint8Array> };

/** Reads the body for replay when `replay` is true and it fits; otherwise passes the stream through. */
export async function prepareBody(request: Request, replay: boolean): Promise<RequestBody> {
  if (!request.body || request.method === "GET" || request.method === "HEAD") return { kind: "none" };
  if (!replay) return { kind: "stream", stream: request.body };
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > MAX_REPLAY_BYTES) return { kind: "stream", stream: request.body };
  const read = await readAtMost(request.body, MAX_REPLAY_BYTES);
  // Too big after all: hand on what was read followed by the rest, once.
  if (read.kind === "over") return { kind: "stream", stream: prepend(read.chunks, read.reader) };
  return read.bytes.byteLength === 0 ? { kind: "none" } : { kind: "buffered", bytes: read.bytes };
}

/**
 * Reads a stream until it ends or holds more than `limit` bytes. On overflow the reader is left
 * open with what was read so far, so the caller can refuse (cancel) or pass the whole stream on.
 */
export async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ kind: "all"; bytes: Uint8Array } | { kind: "over"; chunks: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) return { kind: "over", chunks, reader };
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  return { kind: "all", bytes };
}

function prepend(head: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < head.length) { controller.enqueue(head[i++]!); return; }
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) { return rest.cancel(reason); },
  });
}

/** The body for one attempt; undefined once a streamed body has been used. */
export function bodyForAttempt(body: RequestBody, attempt: number): BodyInit | null | undefined {
  if (body.kind === "none") return null;
  if (body.kind === "buffered") return body.bytes;
  return attempt === 0 ? body.stream : undefined;
}

/** Can this body be sent more than once? */
export function replayable(body: RequestBody): boolean {
  return body.kind !== "stream";
}
