"""The error for a batch whose own structure is broken."""


class BatchError(Exception):
    """The batch as a whole is malformed; `size` is its request count when known."""

    def __init__(self, message, size=None):
        super().__init__(message)
        self.message = message
        self.size = size
