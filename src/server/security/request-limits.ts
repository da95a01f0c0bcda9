/**
 * Limits applied at the HTTP door of /api/trpc before tRPC parses anything: the request body's size (a declared
 * Content-Length over the cap is refused unread; a chunked body is read up to the cap and refused past it) and the
 * number of calls in one batch. The largest legitimate body is a runner's submission (docs/api.md, "Limits").
 */
export class RequestTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body is larger than this server accepts (${maxBytes} bytes).`);
    this.name = "RequestTooLargeError";
  }
}

/** The body of `req`, at most `maxBytes` bytes; null for a request without one. */
export async function readBoundedBody(req: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw new RequestTooLargeError(maxBytes);
  if (!req.body) return null;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new RequestTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** How many procedures a tRPC request calls (`/api/trpc/a,b,c?batch=1`). */
export function batchSizeOf(url: URL, endpoint = "/api/trpc"): number {
  const path = url.pathname.slice(endpoint.length).replace(/^\//, "");
  return url.searchParams.get("batch") === "1" ? path.split(",").length : 1;
}

/** An error response in tRPC's shape (so the web client and the runner read it like any other). */
export function trpcErrorResponse(status: number, code: string, quorumCode: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json(
    { error: { json: { message, code: -32600, data: { code, httpStatus: status, quorumCode, field: null, zodError: null } } } },
    { status, headers },
  );
}
