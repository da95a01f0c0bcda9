-- AlterTable
ALTER TABLE "Model" ADD COLUMN     "contextLength" INTEGER;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "contextTokens" INTEGER;
