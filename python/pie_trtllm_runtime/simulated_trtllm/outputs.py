"""RequestOutput and CompletionOutput shapes of TensorRT-LLM 1.2.1."""


class CompletionOutput:
    __slots__ = ("index", "text", "token_ids", "cumulative_logprob", "logprobs", "prompt_logprobs", "finish_reason", "stop_reason")

    def __init__(self, index, token_ids, finish_reason):
        self.index = index
        self.text = ""
        self.token_ids = token_ids
        self.cumulative_logprob = None
        self.logprobs = []
        self.prompt_logprobs = []
        self.finish_reason = finish_reason
        self.stop_reason = None

    @property
    def length(self):
        return len(self.token_ids)


class RequestOutput:
    __slots__ = ("request_id", "prompt", "prompt_token_ids", "outputs", "finished")

    def __init__(self, request_id, prompt_token_ids, outputs):
        self.request_id = request_id
        self.prompt = None
        self.prompt_token_ids = prompt_token_ids
        self.outputs = outputs
        self.finished = True

    def result(self, timeout=None):
        return self
