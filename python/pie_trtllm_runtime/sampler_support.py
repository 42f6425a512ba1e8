"""What the configured TensorRT-LLM 1.2.1 sampler honours (`llm_kwargs.sampler_type`).

With the default `auto` (TorchSampler, as this driver never asks for beam search), 1.2.1 reads
`temperature`, `top_k` and `top_p` only: one generator seeded 42 serves every request, so a
per-request seed is not honoured, and `min_p` is not read. `TRTLLMSampler` (the C++ decoder)
honours both. Sources: `simulated_trtllm/api_1_2_1.json`, "samplers"."""

from .codes import UNSUPPORTED_SAMPLER, RequestError

class SamplerSupport:
    __slots__ = ("sampler_type", "seeded", "min_p")

    def __init__(self, sampler_type):
        self.sampler_type = "TRTLLMSampler" if sampler_type == "TRTLLMSampler" else "TorchSampler"
        self.seeded = self.min_p = self.sampler_type == "TRTLLMSampler"

    @classmethod
    def from_options(cls, options):
        return cls((options.get("llm_kwargs") or {}).get("sampler_type", "auto"))

    def check(self, sampler):
        """UNSUPPORTED_SAMPLER for a stochastic sampler that asks for what this sampler ignores."""
        if sampler.greedy:
            return  # greedy decoding reads neither a seed nor min_p
        if sampler.seed and not self.seeded:
            raise RequestError(
                UNSUPPORTED_SAMPLER,
                "seed %d asks for reproducible sampling, but TensorRT-LLM 1.2.1's %s draws every request from one shared "
                "generator; send seed 0, or set llm_kwargs.sampler_type = \"TRTLLMSampler\"" % (sampler.seed, self.sampler_type),
            )
        if sampler.min_p and not self.min_p:
            raise RequestError(
                UNSUPPORTED_SAMPLER,
                "min_p sampling is not applied by TensorRT-LLM 1.2.1's %s; use top_p or top_k, or set "
                "llm_kwargs.sampler_type = \"TRTLLMSampler\"" % self.sampler_type,
            )
