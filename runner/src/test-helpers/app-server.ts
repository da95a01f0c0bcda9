/**
 * The real tRPC API (src/server/api/root.ts) served over plain HTTP at `<url>/api/trpc` on a test database: the
 * runner's API client, loop and CLI are tested against the real procedures, not a stand-in. (The full app with
 * Next.js is exercised by the project's own end-to-end tests.)
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import type { Db } from "@/server/db";

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  return headers;
}

export async function startAppServer(db: Db): Promise<AppServer> {
  const server = createHTTPServer({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req }) => createTRPCContext({ db, headers: toHeaders(req.headers), getUser: async () => null }),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
