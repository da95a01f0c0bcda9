-- CreateEnum
CREATE TYPE "CommunityBenchmarkStatus" AS ENUM ('PROBATION', 'ACTIVE', 'REJECTED');

-- CreateTable
CREATE TABLE "CommunityBenchmark" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "itemCount" INTEGER NOT NULL,
    "createdById" TEXT NOT NULL,
    "status" "CommunityBenchmarkStatus" NOT NULL DEFAULT 'PROBATION',
    "reason" TEXT,
    "canaryTaskIds" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "CommunityBenchmark_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CommunityBenchmark_status_idx" ON "CommunityBenchmark"("status");

-- CreateIndex
CREATE UNIQUE INDEX "CommunityBenchmark_slug_version_key" ON "CommunityBenchmark"("slug", "version");
