"""SamplingParams of TensorRT-LLM 1.2.1: a keyword-only slotted dataclass, as the real one is, so an
unknown field or a positional argument is a TypeError."""

from dataclasses import dataclass


@dataclass(slots=True, kw_only=True)
class SamplingParams:
    end_id: object = None
    pad_id: object = None
    max_tokens: object = 32
    bad: object = None
    bad_token_ids: object = None
    stop: object = None
    stop_token_ids: object = None
    include_stop_str_in_output: object = False
    embedding_bias: object = None
    logits_processor: object = None
    apply_batched_logits_processor: object = False
    n: object = 1
    best_of: object = None
    use_beam_search: object = False
    top_k: object = None
    top_p: object = None
    top_p_min: object = None
    top_p_reset_ids: object = None
    top_p_decay: object = None
    seed: object = None
    temperature: object = None
    min_tokens: object = None
    beam_search_diversity_rate: object = None
    repetition_penalty: object = None
    presence_penalty: object = None
    frequency_penalty: object = None
    prompt_ignore_length: object = None
    length_penalty: object = None
    early_stopping: object = None
    no_repeat_ngram_size: object = None
    min_p: object = None
    beam_width_array: object = None
    logprobs: object = None
    prompt_logprobs: object = None
    return_context_logits: object = False
    return_generation_logits: object = False
    exclude_input_from_output: object = True
    return_encoder_output: object = False
    return_perf_metrics: object = False
    additional_model_outputs: object = None
    _context_logits_auto_enabled: object = False
    _generation_logits_auto_enabled: object = False
    _return_log_probs: object = False
    lookahead_config: object = None
    guided_decoding: object = None
    ignore_eos: object = False
    detokenize: object = True
    add_special_tokens: object = True
    truncate_prompt_tokens: object = None
    skip_special_tokens: object = True
    spaces_between_special_tokens: object = True

    def __post_init__(self):
        if self.pad_id is None:
            self.pad_id = self.end_id
        if self.best_of is None:
            self.best_of = self.n
        if self.top_p is not None and not (0 <= self.top_p <= 1):
            raise ValueError("require 0 <= top_p <= 1, got top_p=%r" % self.top_p)
        if self.top_k is not None and self.top_k < 0:
            raise ValueError("require top_k >= 0, got top_k=%r" % self.top_k)
        if self.temperature is not None and self.temperature < 0:
            raise ValueError("require temperature >= 0, got temperature=%r" % self.temperature)
        if self.best_of < self.n:
            raise ValueError("best_of (%d) cannot be less than n (%d)" % (self.best_of, self.n))
        if self.truncate_prompt_tokens is not None and self.truncate_prompt_tokens < 1:
            raise ValueError("truncate_prompt_tokens must be >= 1")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError("max_tokens must be a positive integer, got %r" % (self.max_tokens,))
        self.logprobs = self.logprobs and int(self.logprobs)
        self.prompt_logprobs = self.prompt_logprobs and int(self.prompt_logprobs)

    def is_greedy(self):
        return (self.temperature is None and self.top_p is None and self.top_k is None) or self.top_k == 1 or self.top_p == 0.0 or self.temperature == 0
