"""SamplingParams of TensorRT-LLM 1.2.1: keyword-only, unknown fields are a TypeError."""

_FIELDS = {
    "end_id": None, "pad_id": None, "max_tokens": 32, "bad": None, "bad_token_ids": None, "stop": None,
    "stop_token_ids": None, "include_stop_str_in_output": False, "embedding_bias": None, "logits_processor": None,
    "apply_batched_logits_processor": False, "n": 1, "best_of": None, "use_beam_search": False, "top_k": None,
    "top_p": None, "top_p_min": None, "top_p_reset_ids": None, "top_p_decay": None, "seed": None, "temperature": None,
    "min_tokens": None, "beam_search_diversity_rate": None, "repetition_penalty": None, "presence_penalty": None,
    "frequency_penalty": None, "prompt_ignore_length": None, "length_penalty": None, "early_stopping": None,
    "no_repeat_ngram_size": None, "min_p": None, "beam_width_array": None, "logprobs": None, "prompt_logprobs": None,
    "return_context_logits": False, "return_generation_logits": False, "exclude_input_from_output": True,
    "return_encoder_output": False, "return_perf_metrics": False, "additional_model_outputs": None,
    "_context_logits_auto_enabled": False, "_generation_logits_auto_enabled": False, "_return_log_probs": False,
    "lookahead_config": None, "guided_decoding": None, "ignore_eos": False, "detokenize": True,
    "add_special_tokens": True, "truncate_prompt_tokens": None, "skip_special_tokens": True,
    "spaces_between_special_tokens": True,
}


class SamplingParams:
    __slots__ = tuple(_FIELDS)

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError("SamplingParams.__init__() takes 1 positional argument but %d were given" % (len(args) + 1))
        for name in kwargs:
            if name not in _FIELDS:
                raise TypeError("SamplingParams.__init__() got an unexpected keyword argument '%s'" % name)
        for name, default in _FIELDS.items():
            setattr(self, name, kwargs.get(name, default))
        self._post_init()

    def _post_init(self):
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
