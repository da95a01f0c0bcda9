-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "holderOwners" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "isFull" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "Task_finishedAt_isFull_createdAt_benchmarkId_id_idx" ON "Task"("finishedAt", "isFull", "createdAt", "benchmarkId", "id");
