-- Trustworthy consensus (item-level agreement replaces the score tolerance), runner reliability, claim caps,
-- spot checks, failure causes, committed epoch seeds and moderation.
-- The score `tolerance` columns are dropped: existing tasks take the default item agreement (0.8) instead.
-- Claims no longer use the quorum_claim_task function: every claim goes through one rule set (claim-batch.ts).
-- AlterEnum
ALTER TYPE "ModelStatus" ADD VALUE 'WITHDRAWN';

-- DropIndex
DROP INDEX "Result_runnerId_idx";

-- AlterTable
ALTER TABLE "Assignment" ADD COLUMN     "failureCause" TEXT,
ADD COLUMN     "isEstablished" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "isSpotCheck" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Benchmark" DROP COLUMN "tolerance",
ADD COLUMN     "minAgreement" DOUBLE PRECISION NOT NULL DEFAULT 0.8;

-- AlterTable
ALTER TABLE "Result" ADD COLUMN     "isEstablished" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "isSpotCheck" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Runner" ADD COLUMN     "agreedOwnerIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "isEstablished" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "pauseReason" TEXT,
ADD COLUMN     "pausedAt" TIMESTAMP(3),
ADD COLUMN     "spotChecksFailed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "spotChecksPassed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "suspendedUntil" TIMESTAMP(3),
ADD COLUMN     "suspensionReason" TEXT;

-- AlterTable
ALTER TABLE "Task" DROP COLUMN "tolerance",
ADD COLUMN     "establishedHolders" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "minAgreement" DOUBLE PRECISION NOT NULL DEFAULT 0.8,
ADD COLUMN     "triedOwners" TEXT[] DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "Task" ALTER COLUMN "minAgreement" DROP DEFAULT;
UPDATE "Task" t SET "triedOwners" = ARRAY(SELECT DISTINCT a."ownerId" FROM "Assignment" a WHERE a."taskId" = t.id)
WHERE EXISTS (SELECT 1 FROM "Assignment" a WHERE a."taskId" = t.id);

DROP FUNCTION IF EXISTS quorum_claim_task(text, text, timestamptz, timestamptz, text, text, text, boolean);

-- CreateTable
CREATE TABLE "EpochSeed" (
    "epoch" INTEGER NOT NULL,
    "seed" TEXT NOT NULL,
    "commitment" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EpochSeed_pkey" PRIMARY KEY ("epoch")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditLog_createdAt_idx" ON "AuditLog"("createdAt");

-- CreateIndex
CREATE INDEX "Assignment_ownerId_status_idx" ON "Assignment"("ownerId", "status");

-- CreateIndex
CREATE INDEX "Result_runnerId_createdAt_idx" ON "Result"("runnerId", "createdAt");

-- CreateIndex
CREATE INDEX "Runner_isEstablished_idx" ON "Runner"("isEstablished");
