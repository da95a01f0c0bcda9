-- DropForeignKey
ALTER TABLE "Assignment" DROP CONSTRAINT "Assignment_runnerId_fkey";

-- DropForeignKey
ALTER TABLE "Result" DROP CONSTRAINT "Result_runnerId_fkey";

-- DropForeignKey
ALTER TABLE "Runner" DROP CONSTRAINT "Runner_ownerId_fkey";

-- CreateTable
CREATE TABLE "LeaderboardItem" (
    "modelId" TEXT NOT NULL,
    "benchmarkId" TEXT NOT NULL,
    "item" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "total" DOUBLE PRECISION NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "LeaderboardItem_pkey" PRIMARY KEY ("modelId","benchmarkId","item","metric")
);

-- CreateTable
CREATE TABLE "rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "rate_limits_expire_idx" ON "rate_limits"("expire");

-- AddForeignKey
ALTER TABLE "Runner" ADD CONSTRAINT "Runner_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Assignment" ADD CONSTRAINT "Assignment_runnerId_fkey" FOREIGN KEY ("runnerId") REFERENCES "Runner"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Result" ADD CONSTRAINT "Result_runnerId_fkey" FOREIGN KEY ("runnerId") REFERENCES "Runner"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardItem" ADD CONSTRAINT "LeaderboardItem_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaderboardItem" ADD CONSTRAINT "LeaderboardItem_benchmarkId_fkey" FOREIGN KEY ("benchmarkId") REFERENCES "Benchmark"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: the per-item sums of every accepted task's accepted result (records are [{ item, scores: { metric: x } }]).
INSERT INTO "LeaderboardItem" ("modelId", "benchmarkId", "item", "metric", "total", "count")
SELECT t."modelId", t."benchmarkId", rec->>'item', score.key, SUM((score.value)::text::double precision), COUNT(*)::int
  FROM "Task" t
  JOIN "Result" r ON r.id = t."acceptedResultId"
  CROSS JOIN LATERAL jsonb_array_elements(r.records::jsonb) AS rec
  CROSS JOIN LATERAL jsonb_each(rec->'scores') AS score
 WHERE t.status = 'ACCEPTED'
 GROUP BY t."modelId", t."benchmarkId", rec->>'item', score.key
ON CONFLICT DO NOTHING;
