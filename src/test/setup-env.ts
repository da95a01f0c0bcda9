process.env.NEXT_TELEMETRY_DISABLED = "1";
// Spot checks are tested on their own (spot-checks.test.ts); elsewhere a claim gets exactly the task a test expects.
process.env.SPOT_CHECK_SHARE ??= "0";
// Tests run the fixture engine and fixture/* models (test doubles); a public server refuses them.
process.env.QUORUM_ALLOW_TEST_DOUBLES ??= "true";
// Tests register made-up repos; admit-model.test.ts checks the Hub admission against the Hub test double.
process.env.QUORUM_HUB_CHECKS ??= "false";
// Community benchmark tests serve their datasets from a local HTTP file server (a test double for a public host).
process.env.QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS ??= "true";
