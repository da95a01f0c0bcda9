import "server-only";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { makeQueryClient } from "@/trpc/query-client";

const createContext = cache(async () =>
  createTRPCContext({ db: getDb(), headers: new Headers(await headers()), getUser: getSessionUser }),
);

export const getQueryClient = cache(makeQueryClient);

/** For React Server Components: prefetch with `trpc.x.queryOptions()`, or call procedures directly via `caller`. */
export const trpc = createTRPCOptionsProxy({ ctx: createContext, router: appRouter, queryClient: getQueryClient });

export const getCaller = cache(async () => appRouter.createCaller(await createContext()));
