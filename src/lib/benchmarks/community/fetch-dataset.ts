/**
 * Downloads a community benchmark's dataset by URL and verifies it against the sha256 its definition pins (zero
 * storage: Quorum keeps the URL and the hash, never the file). The runner and the server both call this; a file
 * whose bytes do not hash to the pinned value is refused, whatever the host serves.
 *
 * Against a hostile definition: http(s) only; no redirects followed (a redirect could point inside the network);
 * hosts that resolve to loopback, private, link-local or unique-local addresses are refused unless the caller allows
 * them (tests, a local mirror); a size cap enforced while streaming; a time limit for the whole download.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { sha256Hex } from "../sha256";
import { MAX_DATASET_BYTES } from "./definition";

export class DatasetFetchError extends Error {
  /** The definition field the problem is about (`dataset.url` or `dataset.sha256`). */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = "DatasetFetchError";
    this.field = field;
  }
}

export interface FetchDatasetOptions {
  url: string;
  sha256: string;
  maxBytes?: number;
  timeoutMs?: number;
  /** Allow loopback and private addresses (tests against a local file server, or a mirror on the LAN). */
  allowPrivateHosts?: boolean;
  fetchImpl?: typeof fetch;
}

/** Loopback, private (RFC 1918), link-local, CGNAT, unspecified and IPv6 unique/link-local addresses. */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a, b] = address.split(".").map(Number) as [number, number];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  const lower = address.toLowerCase();
  if (lower.startsWith("::ffff:")) return isPrivateAddress(lower.slice(7));
  return lower === "::1" || lower === "::" || lower.startsWith("fc") || lower.startsWith("fd") || lower.startsWith("fe80");
}

async function checkHost(url: URL, allowPrivate: boolean): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DatasetFetchError("dataset.url", `only http(s) URLs are fetched, not ${url.protocol}`);
  }
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
  if (addresses.length === 0) throw new DatasetFetchError("dataset.url", `the host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) {
    throw new DatasetFetchError("dataset.url", `the host ${host} resolves to a private or loopback address; datasets must be public`);
  }
}

/** The dataset's bytes after checking them against `sha256`. Throws DatasetFetchError naming the field. */
export async function fetchDataset(options: FetchDatasetOptions): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? MAX_DATASET_BYTES;
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new DatasetFetchError("dataset.url", `${JSON.stringify(options.url)} is not a URL`);
  }
  await checkHost(url, options.allowPrivateHosts ?? false);
  const signal = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, { redirect: "manual", signal });
  } catch (error) {
    throw new DatasetFetchError("dataset.url", `could not download ${url.href}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status >= 300 && response.status < 400) {
    throw new DatasetFetchError("dataset.url", `${url.href} answered with a redirect (${response.status}); give the final URL`);
  }
  if (!response.ok || !response.body) throw new DatasetFetchError("dataset.url", `${url.href} answered ${response.status}`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new DatasetFetchError("dataset.url", `${url.href} is ${declared} bytes, more than the ${maxBytes} allowed`);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new DatasetFetchError("dataset.url", `${url.href} is more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(Buffer.from(value));
  }
  const bytes = Buffer.concat(chunks);
  const actual = sha256Hex(bytes);
  if (actual !== options.sha256) {
    throw new DatasetFetchError("dataset.sha256", `the file at ${url.href} has sha256 ${actual}, not the pinned ${options.sha256}`);
  }
  return bytes;
}
