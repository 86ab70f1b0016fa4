"""The Tensors page (ONNX, Core ML): model view, devices and bench."""
