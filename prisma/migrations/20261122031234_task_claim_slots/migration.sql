-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "holderOwners" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "Task_finishedAt_createdAt_benchmarkId_id_idx" ON "Task"("finishedAt", "createdAt", "benchmarkId", "id");
