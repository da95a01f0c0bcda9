-- AlterTable
ALTER TABLE "CommunityBenchmark" ADD COLUMN     "canaryRetries" INTEGER NOT NULL DEFAULT 0;
