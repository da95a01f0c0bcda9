/**
 * Downloads a community benchmark's dataset by URL and verifies it against the sha256 its definition pins (zero
 * storage: Quorum keeps the URL and the hash, never the file). The runner and the server both call this; a file
 * whose bytes do not hash to the pinned value is refused, whatever the host serves.
 *
 * Against a hostile definition: http(s) only; no redirects followed (a redirect could point inside the network);
 * hosts that resolve to loopback, private, link-local or unique-local addresses are refused unless the caller allows
 * them (tests, a local mirror); a size cap enforced while streaming; a time limit for the whole download.
 * The address check runs twice: once before the request (a clear early refusal) and again inside the connection's
 * own DNS lookup (`guardedLookup`), on the very addresses the socket connects to, so a host that answers DNS with a
 * public address first and a private one next (DNS rebinding) is refused too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
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

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the download's socket: resolves as Node would, then refuses the connection when any address is
 * private or loopback. Node's socket connects only to what this returns, so the check covers the addresses used.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "");
    const list = addresses as LookupAddress[];
    const refused = list.find((entry) => isPrivateAddress(entry.address));
    if (refused || list.length === 0) {
      const reason = refused ? `resolves to a private or loopback address (${refused.address})` : "does not resolve";
      return callback(new DatasetFetchError("dataset.url", `the host ${hostname} ${reason}; datasets must be public`), "");
    }
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  });
}

/** GET with no redirects followed, a byte cap while streaming and the caller's signal; resolves to the body. */
function download(url: URL, options: { maxBytes: number; signal: AbortSignal; allowPrivate: boolean }): Promise<Buffer> {
  const { maxBytes } = options;
  const client = url.protocol === "https:" ? https : http;
  return new Promise<Buffer>((resolve, reject) => {
    const fail = (error: unknown) =>
      reject(
        error instanceof DatasetFetchError
          ? error
          : new DatasetFetchError("dataset.url", `could not download ${url.href}: ${error instanceof Error ? error.message : String(error)}`),
      );
    const request = client.get(
      url,
      { signal: options.signal, headers: { "user-agent": "quorum-dataset-fetch" }, ...(options.allowPrivate ? {} : { lookup: guardedLookup }) },
      (response) => {
        const status = response.statusCode ?? 0;
        const refuse = (message: string) => {
          response.destroy();
          reject(new DatasetFetchError("dataset.url", message));
        };
        if (status >= 300 && status < 400) return refuse(`${url.href} answered with a redirect (${status}); give the final URL`);
        if (status < 200 || status >= 300) return refuse(`${url.href} answered ${status}`);
        const declared = Number(response.headers["content-length"] ?? "0");
        if (declared > maxBytes) return refuse(`${url.href} is ${declared} bytes, more than the ${maxBytes} allowed`);
        const chunks: Buffer[] = [];
        let total = 0;
        response.on("data", (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > maxBytes) return refuse(`${url.href} is more than the ${maxBytes} bytes allowed`);
          chunks.push(chunk);
        });
        response.on("end", () => resolve(Buffer.concat(chunks)));
        response.on("error", fail);
      },
    );
    request.on("error", fail);
  });
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
  const allowPrivate = options.allowPrivateHosts ?? false;
  await checkHost(url, allowPrivate);
  const bytes = await download(url, { maxBytes, signal: AbortSignal.timeout(options.timeoutMs ?? 120_000), allowPrivate });
  const actual = sha256Hex(bytes);
  if (actual !== options.sha256) {
    throw new DatasetFetchError("dataset.sha256", `the file at ${url.href} has sha256 ${actual}, not the pinned ${options.sha256}`);
  }
  return bytes;
}
