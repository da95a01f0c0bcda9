import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";

export const dynamic = "force-dynamic";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createTRPCContext({ db: getDb(), headers: req.headers, getUser: getSessionUser }),
  });

export { handler as GET, handler as POST };
