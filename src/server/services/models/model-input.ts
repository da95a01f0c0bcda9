/** The registration schema lives in src/lib/protocol (the runner's `eval` refuses exactly what registration refuses). */
export * from "@/lib/protocol/model-input";
