/**
 * A test double for the Hugging Face Hub: a small local HTTP server answering the Hub API shapes that
 * @huggingface/hub's modelInfo, listFiles (with Link pagination) and downloadFile use, for repos the test defines.
 * LFS files redirect to a CDN path that honours HTTP ranges, like the real Hub. Gated repos want a bearer token.
 * Faults can be injected (cut a transfer once, corrupt a transfer once) to test resume and verification.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface DoubleFile {
  path: string;
  content: Buffer | string;
  /** Stored with Git LFS (large files: the tree lists lfs.oid = sha256 and the download redirects to a CDN). */
  lfs?: boolean;
}

export interface DoubleRepo {
  repo: string;
  commit: string;
  /** Branch names that resolve to `commit` (e.g. main). */
  branches?: string[];
  files: DoubleFile[];
  /** Requires `Authorization: Bearer <token>` with this token. */
  gatedToken?: string;
}

export interface HubDouble {
  url: string;
  /** Every request as "METHOD path [range]". */
  requests: string[];
  /** Cut the connection after this many body bytes, once, for the file with this path. */
  cutOnce: Map<string, number>;
  /** Flip one byte of the body, once, for the file with this path (not in the 1-byte size probes). */
  corruptOnce: Set<string>;
  close(): Promise<void>;
}

interface StoredFile {
  path: string;
  content: Buffer;
  lfs: boolean;
  oid: string;
  sha256: string;
  pointer: Buffer;
}

export function gitBlobOid(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

export function sha256Hex(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** A minimal but well-formed safetensors file (8-byte header length, JSON header, tensor bytes). */
export function fakeSafetensors(bytes: number, seed = 1): Buffer {
  const data = Buffer.alloc(bytes - (bytes % 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const header = Buffer.from(JSON.stringify({ weight: { dtype: "F32", shape: [data.length / 4], data_offsets: [0, data.length] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, data]);
}

export async function startHubDouble(repos: DoubleRepo[], options: { pageSize?: number } = {}): Promise<HubDouble> {
  const pageSize = options.pageSize ?? 1000;
  const stored = new Map<string, { repo: DoubleRepo; files: StoredFile[] }>();
  const byLfs = new Map<string, StoredFile>();
  for (const repo of repos) {
    const files = repo.files.map((f): StoredFile => {
      const content = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content);
      const sha256 = sha256Hex(content);
      const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
      const file = { path: f.path, content, lfs: Boolean(f.lfs), sha256, pointer, oid: gitBlobOid(f.lfs ? pointer : content) };
      if (file.lfs) byLfs.set(sha256, file);
      return file;
    });
    stored.set(repo.repo, { repo, files });
  }
  const requests: string[] = [];
  const cutOnce = new Map<string, number>();
  const corruptOnce = new Set<string>();

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  function resolve(repoName: string, rev: string) {
    const entry = stored.get(repoName);
    if (!entry) return null;
    if (rev === entry.repo.commit || rev === "HEAD" || entry.repo.branches?.includes(rev)) return entry;
    return undefined;
  }

  function authorised(req: http.IncomingMessage, repo: DoubleRepo): boolean {
    if (!repo.gatedToken) return true;
    return req.headers.authorization === `Bearer ${repo.gatedToken}`;
  }

  function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: StoredFile, headers: Record<string, string>) {
    const total = file.content.length;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      if (start >= total && total > 0) {
        res.writeHead(416, { "content-range": `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
    }
    let body = file.content.subarray(start, end + 1);
    if (corruptOnce.has(file.path) && body.length > 1) {
      corruptOnce.delete(file.path);
      body = Buffer.from(body);
      body[0] = (body[0]! ^ 0xff) & 0xff;
    }
    res.writeHead(status, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "accept-ranges": "bytes",
      ...(status === 206 ? { "content-range": `bytes ${start}-${end}/${total}` } : {}),
      ...headers,
    });
    const cut = cutOnce.get(file.path);
    if (cut !== undefined && body.length > cut) {
      cutOnce.delete(file.path);
      res.write(body.subarray(0, cut), () => {
        res.socket?.destroy();
      });
      return;
    }
    res.end(body);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub.local");
    requests.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);

    // GET /api/models/{org}/{name}/revision/{rev}
    if (segments[0] === "api" && segments[1] === "models" && segments[4] === "revision" && segments.length === 6) {
      const repoName = `${segments[2]}/${segments[3]}`;
      const entry = resolve(repoName, segments[5]!);
      if (entry === null) return json(res, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      if (entry === undefined) return json(res, 404, { error: `Invalid rev id: ${segments[5]}` }, { "x-error-code": "RevisionNotFound" });
      if (!authorised(req, entry.repo)) return json(res, 401, { error: `Access to model ${repoName} is restricted.` }, { "x-error-code": "GatedRepo" });
      return json(res, 200, {
        _id: `id-${repoName}`,
        id: repoName,
        sha: entry.repo.commit,
        private: false,
        gated: entry.repo.gatedToken ? "manual" : false,
        downloads: 0,
        likes: 0,
        lastModified: "2026-01-01T00:00:00.000Z",
        pipeline_tag: "text-generation",
      });
    }

    // GET /api/models/{org}/{name}/tree/{rev}[/{path}]?recursive=&cursor=
    if (segments[0] === "api" && segments[1] === "models" && segments[4] === "tree" && segments.length >= 6) {
      const repoName = `${segments[2]}/${segments[3]}`;
      const entry = resolve(repoName, segments[5]!);
      if (entry === null) return json(res, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      if (entry === undefined) return json(res, 404, { error: "Revision not found" }, { "x-error-code": "RevisionNotFound" });
      if (!authorised(req, entry.repo)) return json(res, 401, { error: `Access to model ${repoName} is restricted.` });
      const recursive = url.searchParams.get("recursive") === "true";
      const prefix = segments.slice(6).join("/");
      const dirs = new Set<string>();
      const items: Array<Record<string, unknown>> = [];
      for (const file of entry.files) {
        if (prefix && !file.path.startsWith(`${prefix}/`)) continue;
        const rest = prefix ? file.path.slice(prefix.length + 1) : file.path;
        if (!recursive && rest.includes("/")) {
          dirs.add(`${prefix ? `${prefix}/` : ""}${rest.split("/")[0]}`);
          continue;
        }
        if (recursive) {
          const parts = file.path.split("/");
          for (let i = 1; i < parts.length; i += 1) dirs.add(parts.slice(0, i).join("/"));
        }
        items.push({
          type: "file",
          oid: file.oid,
          size: file.content.length,
          path: file.path,
          ...(file.lfs ? { lfs: { oid: file.sha256, size: file.content.length, pointerSize: file.pointer.length } } : {}),
        });
      }
      const all = [...[...dirs].sort().map((d) => ({ type: "directory", oid: gitBlobOid(Buffer.from(d)), size: 0, path: d })), ...items];
      const cursor = Number(url.searchParams.get("cursor") ?? "0");
      const page = all.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < all.length) {
        const next = new URL(url.toString());
        next.searchParams.set("cursor", String(cursor + pageSize));
        headers.link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
      }
      return json(res, 200, page, headers);
    }

    // GET /{org}/{name}/resolve/{rev}/{path...}
    if (segments[2] === "resolve" && segments.length >= 5) {
      const repoName = `${segments[0]}/${segments[1]}`;
      const entry = resolve(repoName, segments[3]!);
      if (entry === null) return json(res, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      if (entry === undefined) return json(res, 404, { error: "Revision not found" }, { "x-error-code": "RevisionNotFound" });
      if (!authorised(req, entry.repo)) return json(res, 401, { error: `Access to model ${repoName} is restricted.` });
      const filePath = segments.slice(4).join("/");
      const file = entry.files.find((f) => f.path === filePath);
      if (!file) return json(res, 404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound" });
      const common = { "x-repo-commit": entry.repo.commit };
      if (file.lfs) {
        res.writeHead(302, {
          location: `/cdn/${file.sha256}`,
          "x-linked-etag": `"${file.sha256}"`,
          "x-linked-size": String(file.content.length),
          etag: `"${file.oid}"`,
          ...common,
        });
        res.end();
        return;
      }
      return sendFile(req, res, file, { etag: `"${file.oid}"`, ...common });
    }

    // GET /cdn/{sha256}: the LFS storage the Hub redirects to.
    if (segments[0] === "cdn" && segments.length === 2) {
      const file = byLfs.get(segments[1]!);
      if (!file) return json(res, 404, { error: "not found" });
      return sendFile(req, res, file, { etag: `"${file.sha256}"` });
    }

    json(res, 404, { error: `hub double: no route for ${req.method} ${url.pathname}` });
  });

  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutOnce,
    corruptOnce,
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolveClose()));
      }),
  };
}
