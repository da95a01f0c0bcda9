-- CreateTable
CREATE TABLE "DepthPlan" (
    "modelId" TEXT NOT NULL,
    "benchmarkId" TEXT NOT NULL,
    "items" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "settledEpochs" INTEGER NOT NULL DEFAULT 0,
    "isSkipped" BOOLEAN NOT NULL DEFAULT false,
    "epoch" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DepthPlan_pkey" PRIMARY KEY ("modelId","benchmarkId")
);
