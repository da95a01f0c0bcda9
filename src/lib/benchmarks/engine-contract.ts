/**
 * The contract between a benchmark and an inference engine. It mirrors lm-evaluation-harness's two request kinds.
 * Benchmarks build requests; engines (vLLM, the fixture engine) answer them; benchmarks score the answers.
 * Nothing here touches a database, the network or the file system.
 */

/** Greedy generation until one of the stop sequences (or `maxTokens`). */
export interface GenerateUntilRequest {
  kind: "generate_until";
  /** Unique within one task: used as the OpenAI Batch `custom_id`. */
  id: string;
  /** The benchmark item this request belongs to (`test/12`, `mc/3`). */
  item: string;
  prompt: string;
  until: string[];
  maxTokens: number;
}

/** The log-likelihood of `continuation` given `context`. */
export interface LoglikelihoodRequest {
  kind: "loglikelihood";
  id: string;
  item: string;
  context: string;
  continuation: string;
}

export type EngineRequest = GenerateUntilRequest | LoglikelihoodRequest;

export interface GenerateUntilResponse {
  id: string;
  /** The raw generated text, before the benchmark cuts it at the stop sequences. */
  text: string;
  /**
   * The prompt's length in the model's own tokens, as the engine reported it (usage.prompt_tokens): reported by the
   * runner, shown and compared, never used to score.
   */
  tokens?: number;
}

export interface LoglikelihoodResponse {
  id: string;
  /** Sum of the continuation tokens' log-probabilities: finite and <= 0. */
  loglikelihood: number;
  /** Whether greedy decoding would have produced the continuation. */
  isGreedy?: boolean;
  /** How many of the model's tokens the log-likelihood covers (the continuation's), as the engine reported them. */
  tokens?: number;
}

export type EngineResponse = GenerateUntilResponse | LoglikelihoodResponse;
