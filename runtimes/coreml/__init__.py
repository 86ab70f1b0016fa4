"""Core ML runtime (coremltools): inspect .mlpackage/.mlmodel files on any OS,
predict and benchmark per compute unit on macOS."""
