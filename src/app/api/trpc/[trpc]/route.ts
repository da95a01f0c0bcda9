import { createTrpcHttpHandler } from "@/server/api/http-handler";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";

export const dynamic = "force-dynamic";

const state = globalThis as unknown as { quorumTrpcHandler?: (req: Request) => Promise<Response> };
const handler = (state.quorumTrpcHandler ??= createTrpcHttpHandler({ getDb, getUser: () => getSessionUser() }));

export { handler as GET, handler as POST };
