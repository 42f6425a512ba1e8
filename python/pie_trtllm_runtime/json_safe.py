"""The integers a JSON peer written in JavaScript (the driver host) carries exactly: up to 2^53 - 1
in magnitude. Ids and sampler integers beyond it are refused on both sides
(test/fixtures/shared-limits.json)."""

MAX_SAFE_INTEGER = 2 ** 53 - 1
