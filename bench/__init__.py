"""Speed benchmark: dreamlayer against a plain PyTorch DeepDream loop (``python -m bench``)."""
