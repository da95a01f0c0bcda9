import { defineConfig } from "prisma/config";

// The Prisma CLI reads this file. Quorum applies migrations itself (`pnpm db:migrate`), following Prisma's own
// bookkeeping, so `prisma migrate status` / `deploy` agree with it wherever the Prisma CLI can run.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/quorum" },
});
