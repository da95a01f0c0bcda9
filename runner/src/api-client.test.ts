/**
 * Transport behaviour of the API client: retries with backoff on connection failures and 5xx answers (a proxy's
 * HTML page included), none on client errors, and zod checks on what comes back. The procedures themselves are
 * exercised against the real API in loop.test.ts and cli.test.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createRunnerApi, RunnerApiError, trpcUrl } from "./api-client";

let server: http.Server | null = null;
afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = null;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const noSleep = { sleep: async () => {}, random: () => 0.5 };
const whoami = { result: { data: { json: { userId: "u", userName: "alice", scopes: ["task:pull", "task:submit"], tokenPrefix: "qrm_ab" } } } };

describe("the runner's API client", () => {
  it("builds the tRPC URL", () => {
    expect(trpcUrl("https://q.example/")).toBe("https://q.example/api/trpc");
  });

  it("retries a proxy's 502 page and sends the bearer token", async () => {
    let calls = 0;
    const seen: string[] = [];
    const url = await serve((req, res) => {
      calls += 1;
      seen.push(String(req.headers.authorization));
      if (calls < 3) {
        res.writeHead(502, { "content-type": "text/html" });
        res.end("<html>Bad Gateway</html>");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(whoami));
    });
    const retries: number[] = [];
    const api = createRunnerApi({ server: url, token: "qrm_ab_secret", ...noSleep, onRetry: (r) => retries.push(r.delayMs) });
    expect((await api.whoami()).userName).toBe("alice");
    expect(calls).toBe(3);
    expect(retries).toEqual([375, 750]);
    expect(seen.every((h) => h === "Bearer qrm_ab_secret")).toBe(true);
  });

  it("gives up after the last attempt on connection failures, with a hint", async () => {
    const api = createRunnerApi({ server: "http://127.0.0.1:9", token: "t", retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 }, ...noSleep });
    const error = (await api.whoami().catch((e: unknown) => e)) as RunnerApiError;
    expect(error).toBeInstanceOf(RunnerApiError);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/Could not reach the server/);
    expect(error.hint).toMatch(/doctor/);
  });

  it("does not retry tRPC client errors and exposes quorumCode", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { json: { message: "This API token is unknown or revoked.", code: -32001, data: { code: "UNAUTHORIZED", httpStatus: 401, quorumCode: "UNAUTHENTICATED" } } } }));
    });
    const error = (await createRunnerApi({ server: url, token: "t", ...noSleep }).whoami().catch((e: unknown) => e)) as RunnerApiError;
    expect(calls).toBe(1);
    expect(error.quorumCode).toBe("UNAUTHENTICATED");
    expect(error.hint).toMatch(/login/);
  });

  it("refuses answers that do not match the protocol", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ result: { data: { json: { userId: "u" } } } }));
    });
    await expect(createRunnerApi({ server: url, token: "t", ...noSleep }).whoami()).rejects.toThrow(/does not match the runner protocol/);
  });

  it("never retries a claim (a lost answer must not claim twice)", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls += 1;
      res.writeHead(503);
      res.end();
    });
    await expect(createRunnerApi({ server: url, token: "t", ...noSleep }).claim({ runnerId: "r", engine: "fixture" })).rejects.toBeInstanceOf(RunnerApiError);
    expect(calls).toBe(1);
  });
});
