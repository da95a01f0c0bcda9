-- AlterTable
ALTER TABLE "Result" ADD COLUMN     "weightsReport" JSONB;
