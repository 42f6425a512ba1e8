#!/usr/bin/env python3
"""Hand-made bugs of the kinds unit-level mutation misses (a dropped cleanup, a state not reset,
a value overwritten, an item left out of a list of checks, an output path, what the engine is
asked), planted one at a time into the working tree, each followed by the part of `npm test`
that covers it (a bug those tests catch is caught by `npm test`). The source is restored after
each one, and dist rebuilt at the end. A plant whose text no longer occurs once is reported as
stale, never counted. Usage: python3 scripts/planted-bugs.py [ID-PREFIX ...]; see
planted-bugs.md for the last run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOCHA = "npx mocha --no-config -n unhandled-rejections=strict --require dist/test/helpers/test-environment.js --timeout 30000 --exit"
PY = "cd python && timeout 900 python3 -m pytest -q -x -p no:warnings {files} >/dev/null 2>&1"
MO = "timeout 900 " + MOCHA + " {files} >/dev/null 2>&1"
PYALL = PY.format(files="tests")
MOALL = MO.format(files="dist/test/driver/*.test.js dist/test/metrics/*.test.js dist/test/runtime/*.test.js dist/test/capabilities/*.test.js")

# (name, file, text, what replaces it, the tests that must catch it)
BUGS = [
    ('P1 closed stream not aborted', 'python/pie_trtllm_runtime/engine_requests.py', '        if handle is not None:\n            self._abort(handle)\n        self.wasted +=', '        self.wasted +=', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P2 max_tokens past the model', 'python/pie_trtllm_runtime/engine_requests.py', 'return prompt, min(self._policy.request_tokens(stream), room)', 'return prompt, self._policy.request_tokens(stream)', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py tests/test_step_limits.py >/dev/null 2>&1'),
    ('P3 ignore_eos off', 'python/pie_trtllm_runtime/engine.py', 'ignore_eos=True,  # Pie decides', 'ignore_eos=False,  # Pie decides', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P4 no cache salt on streams', 'python/pie_trtllm_runtime/engine.py', 'stream = TokenStream(context.context_id, context.prompt(prefix_len), str(context.context_id) if self._cache_salt else None,', 'stream = TokenStream(context.context_id, context.prompt(prefix_len), None,', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P5 one seed for every step', 'python/pie_trtllm_runtime/engine.py', 'kwargs["seed"] = step_seed(base, context.context_id, prefix_len)', 'kwargs["seed"] = step_seed(base, context.context_id, 0)', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P6 release leaves the stream', 'python/pie_trtllm_runtime/history.py', '            if context is not None:\n                self._dropped(context)\n                released += 1', '            if context is not None:\n                released += 1', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P7 deferred closes dropped', 'python/pie_trtllm_runtime/engine.py', '            for stream in closing:\n                self.requests.close(stream)', '            pass', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py tests/test_hostile.py >/dev/null 2>&1'),
    ('P8 executor watch takes what came before', 'python/pie_trtllm_runtime/executor_watch.py', 'self._processes = [entry for entry in found if (entry[0], entry[1]) not in known]', 'self._processes = found', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_executor_watch.py >/dev/null 2>&1'),
    ('P9 status misses the chain', 'python/pie_trtllm_runtime/server.py', '"tokens_generated": engine.tokens_returned + ahead,', '"tokens_generated": engine.tokens_returned,', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_next_decode_step.py >/dev/null 2>&1'),
    ('P10 waste after close not counted', 'python/pie_trtllm_runtime/engine_requests.py', '                        self.wasted += count - received  # made after the stream was closed', '                        pass', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine_side.py >/dev/null 2>&1'),
    ('P11 behind-stream continuation uncapped', 'python/pie_trtllm_runtime/lookahead_policy.py', 'return min(self.window, max(stream.first, len(stream.tokens)))', 'return max(stream.first, len(stream.tokens))', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine.py >/dev/null 2>&1'),
    ('P12 a program that kept up not marked', 'python/pie_trtllm_runtime/engine_requests.py', '            stream.kept_up = True\n', '', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests/test_engine.py >/dev/null 2>&1'),
    ("T1 dead runtime's count reported while restarting", 'src/runtime/runtime-supervisor.ts', "tokens_generated: this.state === 'ready' ? (this.lastStatus?.tokens_generated ?? 0) : 0,\n      ...(this.reason && this.state", 'tokens_generated: this.lastStatus?.tokens_generated ?? 0,\n      ...(this.reason && this.state', 'timeout 900 MOCHA_PLACEHOLDER dist/test/metrics/driver-metrics.test.js dist/test/runtime/supervisor.test.js >/dev/null 2>&1'),
    ('T2 first-token start overwritten', 'src/metrics/driver-metrics.ts', 'if (!this.awaitingFirstToken.has(id)) this.awaitingFirstToken.set(id, startedMs);', 'this.awaitingFirstToken.set(id, startedMs);', 'timeout 900 MOCHA_PLACEHOLDER dist/test/metrics/driver-metrics-unit.test.js dist/test/metrics/driver-metrics.test.js >/dev/null 2>&1'),
    ('T3 kit skips kv_page_size', 'src/plugin/conformance/index.ts', "['max_forward_tokens', 'max_forward_requests', 'total_pages', 'kv_page_size', 'vocab_size']", "['max_forward_tokens', 'max_forward_requests', 'total_pages', 'vocab_size']", 'timeout 900 MOCHA_PLACEHOLDER dist/test/plugin/conformance-checks.test.js >/dev/null 2>&1'),
    ('T4 kit ignores the neighbour', 'src/plugin/conformance/index.ts', "          expectThat(results[1] && 'tokens' in results[1],", '          expectThat(true,', 'timeout 900 MOCHA_PLACEHOLDER dist/test/plugin/conformance-checks.test.js >/dev/null 2>&1'),
    ('T5 maxCrashes unchecked', 'src/runtime/supervisor-policy.ts', "const COUNTS = ['maxInFlight', 'maxCrashes'] as const;", "const COUNTS = ['maxInFlight'] as const;", 'timeout 900 MOCHA_PLACEHOLDER dist/test/runtime/timer-limit.test.js >/dev/null 2>&1'),
    ('T6 cap off by one', 'src/config/bounded-file.ts', 'if (stats.size > maxBytes) throw tooLarge', 'if (stats.size >= maxBytes) throw tooLarge', 'timeout 900 MOCHA_PLACEHOLDER dist/test/cli/hostile-files.test.js >/dev/null 2>&1'),
    ('T7 inf passes', 'src/config/table-shape.ts', 'if (Number.isFinite(value)) return undefined;', 'if (!Number.isNaN(value)) return undefined;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/config/unsendable-values.test.js >/dev/null 2>&1'),
    ('T8 isolates not escaped', 'src/runtime/terminal-text.ts', '\\u202a-\\u202e\\u2066-\\u2069]/g', '\\u202a-\\u202e]/g', 'timeout 900 MOCHA_PLACEHOLDER dist/test/runtime/terminal-text.test.js >/dev/null 2>&1'),
    ('T9 exit code ignores verdict', 'src/cli/commands/conformance-command.ts', 'process.exitCode = code === 0 && verdict.ok ? 0 : 1;', 'process.exitCode = code === 0 ? 0 : 1;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/plugin/conformance-kit.test.js >/dev/null 2>&1'),
    ('T10 promise from register accepted', 'src/plugin/discovery.ts', "      Promise.resolve(returned).catch(() => undefined);\n      report.skipped.push({ package: name, reason: 'register() returned a promise; it must register its drivers synchronously' });\n      return;", '      void returned;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/plugin/discovery-edges.test.js >/dev/null 2>&1'),
    ('T11 predictable temporary name', 'src/cli/atomic-write.ts', "const path = `${target}.${randomBytes(8).toString('hex')}.tmp`;", 'const path = `${target}.${process.pid}.tmp`; void randomBytes;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/cli/atomic-write.test.js >/dev/null 2>&1'),
    ('T12 status not shared', 'src/runtime/runtime-supervisor.ts', 'this.statusRead ??= this.call', 'this.statusRead = this.call', 'timeout 900 MOCHA_PLACEHOLDER dist/test/runtime/supervisor.test.js >/dev/null 2>&1'),
    ('T13 relative venv from cwd', 'src/cli/model-selection.ts', 'const base = dirname(resolve(file));', 'const base = process.cwd(); void dirname;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/cli/relative-interpreter.test.js >/dev/null 2>&1'),
    ('T14 blank metrics host', 'src/cli/commands/serve-command.ts', "if (options.metricsHost.trim() === '') {", "if (options.metricsHost === '') {", 'timeout 900 MOCHA_PLACEHOLDER dist/test/metrics/metrics-endpoint.test.js >/dev/null 2>&1'),
    ('T15 start after dispose', 'src/driver/tensorrt-llm-driver.ts', '    if (this.disposed) {\n      return Promise.reject(', '    if (this.disposed && false) {\n      return Promise.reject(', 'timeout 900 MOCHA_PLACEHOLDER dist/test/driver/start-window.test.js >/dev/null 2>&1'),
    ('O1 dropped stream not closed', 'python/pie_trtllm_runtime/engine.py', '        if stream is not None:\n            self.requests.close(stream)\n\n    def _leave_stream', '        pass\n\n    def _leave_stream', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests >/dev/null 2>&1'),
    ('O2 evictions not counted', 'python/pie_trtllm_runtime/history.py', '            self.evictions += 1\n', '', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests >/dev/null 2>&1'),
    ('O3 streams not counted', 'python/pie_trtllm_runtime/engine.py', '        self.streams_started += 1\n', '', 'timeout 900 MOCHA_PLACEHOLDER dist/test/driver/*.test.js dist/test/metrics/*.test.js dist/test/runtime/*.test.js dist/test/capabilities/*.test.js >/dev/null 2>&1'),
    ('O4 continuations not counted', 'python/pie_trtllm_runtime/engine_requests.py', '            self.continuations += 1\n', '', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests >/dev/null 2>&1'),
    ('O5 sampling streams not counted', 'python/pie_trtllm_runtime/engine.py', '            self.sampling_streams_started += 1\n', '            pass\n', 'cd python && timeout 900 python3 -m pytest -q -x -p no:warnings tests >/dev/null 2>&1'),
    ('O6 placement count not released', 'src/runtime/replica-pool.ts', '    this.placement.delete(contextId);\n    this.counts[index]!--;\n  }\n\n  private forgetReplica', '    this.placement.delete(contextId);\n  }\n\n  private forgetReplica', 'timeout 900 MOCHA_PLACEHOLDER dist/test/driver/*.test.js dist/test/metrics/*.test.js dist/test/runtime/*.test.js dist/test/capabilities/*.test.js >/dev/null 2>&1'),
    ('O7 restarts not counted', 'src/runtime/runtime-supervisor.ts', '      this.restarts++;', '      void this.restarts;', 'timeout 900 MOCHA_PLACEHOLDER dist/test/driver/*.test.js dist/test/metrics/*.test.js dist/test/runtime/*.test.js dist/test/capabilities/*.test.js >/dev/null 2>&1'),
    ('O8 min_p let through', 'src/capabilities/request-gate.ts', "if (s.type === 'min_p' && (s.p as number) > 0 && !support.minP) {", "if (s.type === 'min_p' && (s.p as number) > 0 && !support.minP && false) {", 'timeout 900 MOCHA_PLACEHOLDER dist/test/driver/*.test.js dist/test/metrics/*.test.js dist/test/runtime/*.test.js dist/test/capabilities/*.test.js >/dev/null 2>&1'),
]


def main(only):
    results = []
    rebuilt = False
    for name, path, old, new, test in BUGS:
        if only and not any(name.startswith(prefix + " ") for prefix in only):
            continue
        file = ROOT / path
        text = file.read_text()
        if text.count(old) != 1:
            print("%s: stale (its text occurs %d times)" % (name, text.count(old)), flush=True)
            continue
        file.write_text(text.replace(old, new))
        try:
            if path.startswith("src/"):
                rebuilt = True
                build = subprocess.run("npx tsc -p tsconfig.json", shell=True, cwd=ROOT, capture_output=True, text=True)
                if build.returncode != 0:
                    print("%s: does not compile: %s" % (name, build.stdout[:200]), flush=True)
                    continue
            caught = subprocess.run(test.replace("MOCHA_PLACEHOLDER", MOCHA), shell=True, cwd=ROOT).returncode != 0
            results.append(caught)
            print("%s: %s" % (name, "caught" if caught else "SURVIVED"), flush=True)
        finally:
            file.write_text(text)
    if rebuilt:
        subprocess.run("npx tsc -p tsconfig.json", shell=True, cwd=ROOT, check=True)
    print("caught %d of %d" % (sum(results), len(results)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
