// Loaded by mocha before every test file (.mocharc.json "require").
//
// Runtimes started by the tests (and the CLI processes they spawn) decode under the whole-prompt
// greedy rule of DESIGN §3.6, so a wrong token anywhere in a replayed prompt changes an answer;
// `greedyNext` in driver-fixture.ts computes that rule from the design.
process.env.PIE_TRTLLM_SIMULATE_RULE = 'prompt';
