"""Python runtime of pie-driver-tensorrt-llm: owns TensorRT-LLM's `LLM` and serves forward batches."""

__version__ = "0.1.0"
