-- AlterTable
ALTER TABLE "Result" ADD COLUMN     "energyDeclared" BOOLEAN NOT NULL DEFAULT false;
