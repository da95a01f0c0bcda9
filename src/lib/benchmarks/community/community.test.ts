/**
 * Community benchmark definitions and their datasets, downloaded from a local HTTP file server (a test double for a
 * dataset host on the internet, which this machine cannot reach).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../sha256";
import { parseCommunityBenchmark } from "./definition";
import { clearDatasetCache, datasetBytes, datasetCacheSize } from "./dataset-cache";
import { DatasetFetchError, fetchDataset, guardedLookup, isPrivateAddress } from "./fetch-dataset";

const DATA = '{"input": "2 + 2", "target": "4"}\n{"input": "3 + 4", "target": "7"}\n';
const SHA = sha256Hex(DATA);
let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/data.jsonl") {
      hits++;
      return response.end(DATA);
    }
    if (request.url?.startsWith("/sized/")) {
      hits++;
      return response.end("y".repeat(Number(request.url.slice("/sized/".length))));
    }
    if (request.url === "/moved") {
      response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" });
      return response.end();
    }
    if (request.url === "/huge") {
      response.writeHead(200);
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const push = () => {
        while (sent < 40 && response.write(chunk)) sent++;
        if (sent < 40) response.once("drain", push);
        else response.end();
      };
      return push();
    }
    response.writeHead(404);
    response.end("no");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const valid = {
  slug: "arith_small",
  name: "Small arithmetic",
  family: "generate_until_exact_match",
  promptTemplate: "Q: {{input}}\nA:",
  fewshot: { count: 2 },
  metric: "exact_match",
  itemsPerTask: 5,
  dataset: { url: "https://example.org/data.jsonl", sha256: SHA, licence: "CC0-1.0" },
};

describe("community benchmark definitions", () => {
  it("accepts a valid definition with defaults filled in", () => {
    const parsed = parseCommunityBenchmark(valid);
    expect(parsed).toMatchObject({ ok: true, value: { fewshot: { count: 2, separator: "\n\n" }, description: "" } });
  });

  it("refuses a bad definition with one error per field at fault", () => {
    const parsed = parseCommunityBenchmark({
      ...valid,
      slug: "Bad Slug",
      family: "loglikelihood_rolling",
      promptTemplate: "no placeholder",
      metric: "exact_match",
      itemsPerTask: 0,
      dataset: { url: "ftp://x/y", sha256: "ABC", licence: "" },
      extra: true,
    });
    expect(parsed.ok).toBe(false);
    const fields = parsed.ok ? [] : parsed.errors.map((error) => error.field).sort();
    expect(fields).toEqual(["(definition)", "dataset.licence", "dataset.sha256", "dataset.url", "fewshot.count", "itemsPerTask", "metric", "promptTemplate", "slug"]);
    expect(parsed.ok ? null : parsed.errors.find((error) => error.field === "(definition)")?.message).toBe("unknown field(s): extra");
    const metric = parseCommunityBenchmark({ ...valid, family: "loglikelihood_rolling", metric: "exact_match", fewshot: { count: 1 } });
    expect(metric.ok ? [] : metric.errors).toEqual([
      { field: "metric", message: "for loglikelihood_rolling: one of bits_per_byte, word_perplexity, byte_perplexity" },
      { field: "fewshot.count", message: "loglikelihood_rolling takes no few-shot examples (0)" },
      {
        field: "promptTemplate",
        message: "for loglikelihood_rolling: <context>{{input}}, with a non-empty context before {{input}} and nothing after it",
      },
    ]);
  });
});

describe("dataset download by URL + sha256", () => {
  it("downloads and verifies the pinned bytes", async () => {
    const bytes = await fetchDataset({ url: `${base}/data.jsonl`, sha256: SHA, allowPrivateHosts: true });
    expect(bytes.toString("utf8")).toBe(DATA);
  });

  it("refuses other bytes, redirects, oversized files, missing files and private hosts, naming the field", async () => {
    const attempt = (options: Parameters<typeof fetchDataset>[0]) =>
      fetchDataset(options).then(
        () => null,
        (error: unknown) => (error instanceof DatasetFetchError ? { field: error.field, message: error.message } : { field: "?", message: String(error) }),
      );
    expect(await attempt({ url: `${base}/data.jsonl`, sha256: "0".repeat(64), allowPrivateHosts: true })).toMatchObject({
      field: "dataset.sha256",
      message: expect.stringContaining(`has sha256 ${SHA}, not the pinned`),
    });
    expect(await attempt({ url: `${base}/moved`, sha256: SHA, allowPrivateHosts: true })).toMatchObject({
      field: "dataset.url",
      message: expect.stringContaining("redirect (302)"),
    });
    expect(await attempt({ url: `${base}/huge`, sha256: SHA, allowPrivateHosts: true, maxBytes: 1024 * 1024 })).toMatchObject({
      field: "dataset.url",
      message: expect.stringContaining("more than the 1048576 bytes allowed"),
    });
    expect(await attempt({ url: `${base}/nothing`, sha256: SHA, allowPrivateHosts: true })).toMatchObject({ message: expect.stringContaining("answered 404") });
    expect(await attempt({ url: `${base}/data.jsonl`, sha256: SHA })).toMatchObject({
      field: "dataset.url",
      message: "the host 127.0.0.1 resolves to a private or loopback address; datasets must be public",
    });
    expect(await attempt({ url: "file:///etc/passwd", sha256: SHA })).toMatchObject({ message: "only http(s) URLs are fetched, not file:" });
    expect(["10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1"].every(isPrivateAddress)).toBe(true);
    expect(["93.184.216.34", "2606:4700::1"].some(isPrivateAddress)).toBe(false);
  });

  it("checks the addresses the socket connects to (DNS rebinding): the connection's own lookup refuses a private answer", async () => {
    // `localhost` answers with loopback addresses, as a rebinding host would on its second answer: the lookup the
    // download's socket uses refuses it whichever form Node asks for (one address, or all of them).
    const resolve = (all: boolean) =>
      new Promise<unknown>((done) => guardedLookup("localhost", { all }, (error, address) => done(error ?? address)));
    for (const all of [true, false]) {
      const outcome = await resolve(all);
      expect(outcome).toBeInstanceOf(DatasetFetchError);
      expect((outcome as DatasetFetchError).message).toMatch(/^the host localhost resolves to a private or loopback address \((127\.0\.0\.1|::1)\); datasets must be public$/);
    }
  });
});

describe("the dataset cache", () => {
  it("downloads a sha256 once (concurrent requests share the download) and evicts the least recently used past its bound", async () => {
    clearDatasetCache();
    hits = 0;
    const [a, b] = await Promise.all([
      datasetBytes(`${base}/data.jsonl`, SHA, { allowPrivateHosts: true }),
      datasetBytes(`${base}/data.jsonl`, SHA, { allowPrivateHosts: true }),
    ]);
    expect(a.toString("utf8")).toBe(DATA);
    expect(b).toBe(a);
    await datasetBytes(`${base}/data.jsonl`, SHA, { allowPrivateHosts: true });
    expect(hits).toBe(1);
    const sized = (n: number) => datasetBytes(`${base}/sized/${n}`, sha256Hex("y".repeat(n)), { allowPrivateHosts: true, maxCacheBytes: 1000 });
    await sized(600);
    await sized(500);
    // 600 + 500 > 1000: the older entries went (the 600-byte file, and the first file before it).
    expect(datasetCacheSize()).toEqual({ entries: 1, bytes: 500 });
    hits = 0;
    await sized(500);
    await sized(600);
    expect(hits).toBe(1);
    await expect(datasetBytes(`${base}/data.jsonl`, "0".repeat(64), { allowPrivateHosts: true })).rejects.toBeInstanceOf(DatasetFetchError);
  });
});
