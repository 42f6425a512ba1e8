"""Stable error codes shared with the TypeScript side (docs/hosts.md, "Error codes")."""

INVALID_REQUEST = "INVALID_REQUEST"
UNSUPPORTED_ATTENTION_MASK = "UNSUPPORTED_ATTENTION_MASK"
UNSUPPORTED_LOGIT_MASK = "UNSUPPORTED_LOGIT_MASK"
UNSUPPORTED_ADAPTER = "UNSUPPORTED_ADAPTER"
UNSUPPORTED_PROBE = "UNSUPPORTED_PROBE"
UNSUPPORTED_SPECULATION = "UNSUPPORTED_SPECULATION"
UNSUPPORTED_SAMPLER_LAYOUT = "UNSUPPORTED_SAMPLER_LAYOUT"
UNSUPPORTED_MULTIMODAL = "UNSUPPORTED_MULTIMODAL"
MISSING_REPLAY_PREFIX = "MISSING_REPLAY_PREFIX"
UNSUPPORTED_SAMPLER = "UNSUPPORTED_SAMPLER"
ENGINE_ERROR = "ENGINE_ERROR"
RUNTIME_UNAVAILABLE = "RUNTIME_UNAVAILABLE"

# Start-up failures, reported on the handshake descriptor.
CONFIG_INVALID = "CONFIG_INVALID"
ENGINE_IMPORT_FAILED = "ENGINE_IMPORT_FAILED"
ENGINE_LOAD_FAILED = "ENGINE_LOAD_FAILED"
MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
UNSUPPORTED_EXECUTION_MODE = "UNSUPPORTED_EXECUTION_MODE"


class RequestError(Exception):
    """A failure that belongs to one request: it becomes that request's result, nothing more."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_wire(self):
        return {"error": {"code": self.code, "message": self.message}}


class StartupError(Exception):
    """A reason the runtime cannot start; written on the handshake descriptor."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
