-- AlterTable
ALTER TABLE "Model" ADD COLUMN     "duplicateOfId" TEXT,
ADD COLUMN     "duplicateSimilarity" DOUBLE PRECISION,
ADD COLUMN     "fingerprint" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[],
ADD COLUMN     "parameterCount" BIGINT,
ADD COLUMN     "weightFileHashes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "weightsConfig" JSONB;

-- CreateTable
CREATE TABLE "Competition" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdById" TEXT NOT NULL,
    "currentVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Competition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CompetitionVersion" (
    "id" TEXT NOT NULL,
    "competitionId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "rule" TEXT NOT NULL,
    "settings" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "snapshot" JSONB,
    "seenEventId" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CompetitionVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CompetitionDecision" (
    "id" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "challengerId" TEXT NOT NULL,
    "incumbentId" TEXT,
    "reason" TEXT NOT NULL,
    "figures" JSONB,
    "standing" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CompetitionDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TraceFile" (
    "benchmarkId" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "body" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "lines" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TraceFile_pkey" PRIMARY KEY ("benchmarkId","epoch")
);

-- CreateIndex
CREATE UNIQUE INDEX "Competition_slug_key" ON "Competition"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "CompetitionVersion_competitionId_version_key" ON "CompetitionVersion"("competitionId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "CompetitionDecision_versionId_seq_key" ON "CompetitionDecision"("versionId", "seq");

-- CreateIndex
CREATE INDEX "Model_weightFileHashes_idx" ON "Model" USING GIN ("weightFileHashes");

-- AddForeignKey
ALTER TABLE "Model" ADD CONSTRAINT "Model_duplicateOfId_fkey" FOREIGN KEY ("duplicateOfId") REFERENCES "Model"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CompetitionVersion" ADD CONSTRAINT "CompetitionVersion_competitionId_fkey" FOREIGN KEY ("competitionId") REFERENCES "Competition"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CompetitionDecision" ADD CONSTRAINT "CompetitionDecision_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "CompetitionVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;
